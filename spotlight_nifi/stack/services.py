"""The registry of local services and the three operations on the whole stack: up, status, down.

A service is anything with `install_steps` (fetch what it needs, each a no-op once cached), `start`
(spawn it on a port), `health`, `stop` and `log_path`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from rich.progress import Progress

from spotlight_nifi.errors import ServiceError
from spotlight_nifi.stack.clickhouse import ClickHouseService
from spotlight_nifi.stack.connect import ConnectService
from spotlight_nifi.stack.kafka import KafkaService
from spotlight_nifi.stack.nifi import NiFiService
from spotlight_nifi.stack.nifi_registry import NiFiRegistryService
from spotlight_nifi.stack.postgres import PostgresService
from spotlight_nifi.stack.process import Health, InstallStep, port_freed, reap, wait_healthy
from spotlight_nifi.stack.state import Running, StackState, is_alive, locked, rss_bytes, session_members


class Service(Protocol):
    """What the stack needs from one local service."""

    name: str
    startup_timeout: float

    def install_steps(self) -> list[InstallStep]: ...
    def start(self, run_dir: Path, port: int | None) -> Running: ...
    def health(self, running: Running) -> Health: ...
    def stop(self, running: Running) -> None: ...
    def log_path(self, run_dir: Path) -> Path: ...


EXTRAS: dict[str, list[str]] = {"cdc": ["connect"]}
"""Heavy services left out of `dev install` and `dev up` unless their group is asked for (`--with cdc`)."""


def services(cache: Path) -> dict[str, Service]:
    """The services `dev up` can start, in start order."""
    return {"kafka": KafkaService(cache), "postgres": PostgresService(), "clickhouse": ClickHouseService(),
            "nifi": NiFiService(cache), "nifi-registry": NiFiRegistryService(cache), "connect": ConnectService(cache)}


def selected(available: list[str], names: list[str] | None = None, extras: list[str] | None = None) -> list[str]:
    """The services to act on, in start order: `names` (else every service outside `EXTRAS`) plus
    those of each extra group."""
    unknown = [n for n in names or [] if n not in available]
    if unknown:
        raise ServiceError(unknown[0], f"unknown service; choose from {', '.join(available)}")
    unknown = [e for e in extras or [] if e not in EXTRAS]
    if unknown:
        raise ServiceError(unknown[0], f"unknown group for `--with`; choose from {', '.join(EXTRAS)}")
    optional = {n for group in EXTRAS.values() for n in group}
    wanted = set(names or [n for n in available if n not in optional])
    wanted.update(n for group in extras or [] for n in EXTRAS[group])
    return [n for n in available if n in wanted]


@contextmanager
def _step(progress: Progress | None, text: str) -> Iterator[None]:
    if progress is None:
        yield
        return
    task = progress.add_task(text, total=1)
    yield
    progress.update(task, completed=1)


def _install(name: str, service: Service, progress: Progress | None) -> None:
    for step in service.install_steps():
        with _step(progress, f"{name}: {step.text}"):
            step.run()


def install(cache: Path, progress: Progress | None = None, extras: list[str] | None = None) -> list[str]:
    """Fetch what the default services (and those of `extras`) need, so that a later `up` downloads nothing."""
    available = services(cache)
    wanted = selected(list(available), extras=extras)
    for name in wanted:
        _install(name, available[name], progress)
    return wanted


def up(
    run_dir: Path,
    cache: Path,
    names: list[str] | None = None,
    ports: dict[str, int] | None = None,
    progress: Progress | None = None,
    extras: list[str] | None = None,
) -> StackState:
    """Install and start the named services (by default all but the `EXTRAS`, plus those of `extras`)
    and wait until each is healthy."""
    available = services(cache)
    wanted = selected(list(available), names, extras)
    with locked(run_dir):
        state = StackState.load(run_dir)
        for name in wanted:
            service = available[name]
            current = state.running.get(name)
            if current and is_alive(current.pid, current.start_ticks):
                continue
            if current:
                reap(current)
            previous = state.last_ports.get(name)
            reuse = previous and port_freed(previous, timeout=15.0 if current else 0.0)
            port = (ports or {}).get(name) or (previous if reuse else None)
            _install(name, service, progress)
            with _step(progress, f"{name}: start"):
                running = service.start(run_dir, port)
            state.running[name] = running
            state.last_ports[name] = next(iter(running.ports.values()))
            state.save(run_dir)
            with _step(progress, f"{name}: wait until healthy"):
                try:
                    wait_healthy(name, running, service.health, service.startup_timeout)
                except ServiceError:
                    service.stop(running)
                    del state.running[name]
                    state.save(run_dir)
                    raise
    return state


ServiceStatus = Literal["healthy", "unhealthy", "stopped", "exited"]


@dataclass(frozen=True)
class Row:
    """One line of `dev status`."""

    name: str
    status: ServiceStatus
    url: str = ""
    version: str = ""
    pid: int | None = None
    rss_bytes: int = 0
    detail: str = ""
    log: str = ""


def status(run_dir: Path, cache: Path) -> list[Row]:
    """Every known service with its health, from the state file and the services themselves."""
    state = StackState.load(run_dir)
    rows = []
    for name, service in services(cache).items():
        running = state.running.get(name)
        if running is None:
            rows.append(Row(name, "stopped", log=str(service.log_path(run_dir))))
            continue
        if not is_alive(running.pid, running.start_ticks):
            rows.append(Row(name, "exited", running.url, running.version, running.pid,
                            detail="process is gone: see its log, then `dev up`", log=running.log))
            continue
        health = service.health(running)
        rows.append(Row(name, "healthy" if health.ok else "unhealthy", running.url, running.version, running.pid,
                        rss_bytes(session_members(running.pid)), health.detail, running.log))
    return rows


def down(run_dir: Path, cache: Path, purge: bool = False) -> list[str]:
    """Stop every running service (reverse start order); with `purge`, delete the run dir."""
    if not run_dir.is_dir():
        return []
    available = services(cache)
    stopped = []
    with locked(run_dir):
        state = StackState.load(run_dir)
        for name in reversed([n for n in available if n in state.running]):  # the state file sorts its keys
            available[name].stop(state.running[name])
            del state.running[name]
            state.save(run_dir)
            stopped.append(name)
    if purge and run_dir.exists():
        shutil.rmtree(run_dir)
    return stopped


def log_file(run_dir: Path, cache: Path, name: str) -> Path:
    """The log of one service, which exists once it has been started."""
    available = services(cache)
    if name not in available:
        raise ServiceError(name, f"no log: choose one of {', '.join(available)}")
    path = available[name].log_path(run_dir)
    if not path.is_file():
        raise ServiceError(name, f"no log at `{path}` yet: start it with `spotlight-nifi dev up {name}`")
    return path

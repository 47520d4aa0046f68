"""Starting, watching and stopping a service process that outlives the command that started it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from spotlight_nifi.errors import ServiceError
from spotlight_nifi.stack.state import Running, is_alive, session_members, start_ticks

HOST = "127.0.0.1"


class InstallStep(NamedTuple):
    """One named part of installing a service: a progress line of its own, a no-op once done."""

    text: str
    run: Callable[[], object]


@dataclass(frozen=True)
class Health:
    """The answer of a service's own protocol (a Kafka metadata request, a SQL query)."""

    ok: bool
    detail: str


def log_tail(path: Path | str, lines: int = 40) -> str:
    path = Path(path)
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.is_file() else ""


def _probe() -> socket.socket:
    """A socket that binds where a server could: servers set SO_REUSEADDR, so the connections a
    stopped server leaves in TIME_WAIT do not make its port look taken."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return probe


def port_free(port: int) -> bool:
    """True when nothing listens on `port` of 127.0.0.1 (a previous run's port can be reused)."""
    with _probe() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def port_freed(port: int, timeout: float) -> bool:
    """`port_free`, waiting up to `timeout` s: the port of a service that just died is freed as its
    processes finish exiting."""
    deadline = time.monotonic() + timeout
    while not port_free(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def choose_port(service: str, wanted: int | None) -> int:
    """`wanted` when it is free, a free port from the kernel when `wanted` is None or 0."""
    with _probe() as probe:
        try:
            probe.bind((HOST, wanted or 0))
        except OSError as error:
            raise ServiceError(
                service,
                f"port {wanted} on {HOST} is taken ({error.strerror}): stop what listens there "
                "or choose another port (leave the port out to get a free one)",
            ) from None
        return int(probe.getsockname()[1])


def spawn(argv: list[str], log: Path, cwd: Path, run_as: str | None = None) -> tuple[int, int]:
    """Start `argv` in its own session with output appended to `log`; (pid, start ticks)."""
    with log.open("ab") as out:
        child = subprocess.Popen(
            argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, user=run_as, group=run_as, extra_groups=[] if run_as else None,
        )
    return child.pid, start_ticks(child.pid)


def wait_healthy(service: str, running: Running, check: Callable[[Running], Health], timeout: float) -> Health:
    """Poll `check` until it passes; fail fast with the log tail if the process dies."""
    deadline = time.monotonic() + timeout
    health = Health(False, "not checked")
    while time.monotonic() < deadline:
        if not is_alive(running.pid, running.start_ticks):
            raise ServiceError(service, f"exited during start-up; full log `{running.log}`", log_tail(running.log))
        health = check(running)
        if health.ok:
            return health
        time.sleep(0.5)
    raise ServiceError(
        service, f"not healthy after {timeout:.0f} s ({health.detail}); full log `{running.log}`", log_tail(running.log)
    )


def reap(running: Running) -> None:
    """Kill what is left of a service whose leader died (NiFi's Python processes outlive a killed NiFi)."""
    for pid in session_members(running.pid):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def terminate(running: Running, sig: signal.Signals, timeout: float = 30.0) -> None:
    """Ask the service to stop with `sig`, then kill whatever of its session is left."""
    if is_alive(running.pid, running.start_ticks):
        with suppress(ProcessLookupError):
            os.kill(running.pid, sig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not session_members(running.pid):
            return
        time.sleep(0.2)
    reap(running)
    while session_members(running.pid):
        time.sleep(0.1)

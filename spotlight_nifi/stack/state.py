"""Where the local stack keeps its state, and what the kernel says about its processes.

Services outlive the `dev up` command that started them, so pids, ports and directories are
written to `<run dir>/state.json`; `dev status` and `dev down` read them back. A pid is trusted
only together with its start time (pids are reused), and a stopped service is checked by its
whole session (a service and every child it forked share one session id).
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from spotlight_nifi.config import Settings

DEFAULT_STACK_DIR = Path(".spotlight/stack")


def stack_dir(settings: Settings, override: Path | None = None) -> Path:
    """The run dir: argument, then `SPOTLIGHT_STACK_DIR`, else `./.spotlight/stack`."""
    chosen = override or Path(settings.get("SPOTLIGHT_STACK_DIR") or DEFAULT_STACK_DIR)
    return chosen.expanduser().absolute()


def cache_dir(settings: Settings) -> Path:
    """Downloads live outside the repo so a fresh checkout or a new run dir reuses them."""
    default = Path(settings.get("XDG_CACHE_HOME") or "~/.cache") / "spotlight-nifi"
    return Path(settings.get("SPOTLIGHT_CACHE_DIR") or default).expanduser().absolute()


@dataclass
class Running:
    """One started service as recorded in the state file."""

    name: str
    pid: int
    start_ticks: int
    url: str
    version: str
    ports: dict[str, int]
    directory: str
    log: str
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class StackState:
    """Started services and the port each last used."""

    running: dict[str, Running] = field(default_factory=dict)
    last_ports: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, run_dir: Path) -> StackState:
        path = run_dir / "state.json"
        if not path.is_file():
            return cls()
        data = json.loads(path.read_text())
        return cls(
            running={name: Running(**item) for name, item in data.get("running", {}).items()},
            last_ports=dict(data.get("last_ports", {})),
        )

    def save(self, run_dir: Path) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        data = {
            "running": {n: asdict(r) for n, r in self.running.items()},
            "last_ports": self.last_ports,
        }
        tmp = run_dir / "state.json.tmp"
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
        tmp.replace(run_dir / "state.json")


@contextmanager
def locked(run_dir: Path) -> Iterator[None]:
    """Hold the run dir's lock: two `dev up`s on one run dir would start two Kafkas."""
    run_dir.mkdir(parents=True, exist_ok=True)
    with (run_dir / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name, or None when the process is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return raw[raw.rindex(")") + 2 :].split()


def start_ticks(pid: int) -> int:
    """The process start time in clock ticks since boot (0 when it is gone)."""
    fields = _stat(pid)
    return int(fields[19]) if fields else 0


def is_alive(pid: int, ticks: int) -> bool:
    """True when `pid` is still the process we started (not a zombie, not a reused pid)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z" and int(fields[19]) == ticks


def session_members(sid: int) -> list[int]:
    """Live processes in session `sid`: a service's leader and everything it forked."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and fields[0] != "Z" and int(fields[3]) == sid:
                members.append(int(entry.name))
    return members


def rss_bytes(pids: list[int]) -> int:
    """Resident memory of these processes together."""
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total

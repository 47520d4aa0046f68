"""PostgreSQL from the Debian packages, one cluster in the run dir, TCP on 127.0.0.1 only.

PostgreSQL refuses to run as root, so when we are root `initdb` and the server run as the
`postgres` user, which must be able to reach the run dir. Authentication is `trust`: the
cluster is a local development and test stack that listens on the loopback address only.
The server runs with `wal_level=logical`, and `spotlight`, the superuser initdb makes (it has the
REPLICATION attribute), may create the publications and replication slots Debezium needs.
"""

from __future__ import annotations

import os
import pwd
import signal
import stat
import subprocess
from pathlib import Path

import psycopg

from spotlight_nifi.errors import ServiceError
from spotlight_nifi.stack.process import HOST, Health, InstallStep, choose_port, log_tail, spawn, terminate
from spotlight_nifi.stack.state import Running
from spotlight_nifi.versions import POSTGRES_MAJOR

SUPERUSER = "spotlight"
SYSTEM_USER = "postgres"
SERVER_OPTIONS = {"wal_level": "logical", "max_replication_slots": "10", "max_wal_senders": "10"}
"""Logical replication for change data capture (Debezium's `pgoutput`), passed on every start so
that a cluster initialised before it was needed gets it too."""


def bin_dir() -> Path:
    """The pinned major version's binaries, else the newest installed one."""
    pinned = Path(f"/usr/lib/postgresql/{POSTGRES_MAJOR}/bin")
    if (pinned / "initdb").is_file():
        return pinned
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise ServiceError("postgres", "no PostgreSQL server under `/usr/lib/postgresql`: run `scripts/install`")
    return found[-1].parent


def dsn(port: int, dbname: str = "postgres") -> str:
    """A libpq connection string for the local cluster."""
    return f"host={HOST} port={port} user={SUPERUSER} dbname={dbname}"


def _check_reachable(path: Path, user: str) -> None:
    """Every parent must let `user` traverse it, or initdb fails with a bare permission error."""
    uid = pwd.getpwnam(user).pw_uid
    for parent in [path, *path.parents]:
        info = parent.stat()
        if info.st_uid != uid and not info.st_mode & stat.S_IXOTH:
            raise ServiceError(
                "postgres",
                f"the `{user}` user cannot enter `{parent}` (mode {stat.filemode(info.st_mode)}): "
                f"`chmod o+x {parent}` or set `SPOTLIGHT_STACK_DIR` to a directory it can reach",
            )


class PostgresService:
    """One PostgreSQL cluster whose data directory lives in the run dir."""

    name = "postgres"
    startup_timeout = 60.0

    def install_steps(self) -> list[InstallStep]:
        return [InstallStep("PostgreSQL server from Debian's package", bin_dir)]

    def log_path(self, run_dir: Path) -> Path:
        return run_dir / self.name / "postgres.log"

    def start(self, run_dir: Path, port: int | None) -> Running:
        binaries = bin_dir()
        work = run_dir / self.name
        data = work / "data"
        work.mkdir(parents=True, exist_ok=True)
        run_as = SYSTEM_USER if os.geteuid() == 0 else None  # PostgreSQL refuses to run as root
        if run_as:
            _check_reachable(work, run_as)
            account = pwd.getpwnam(run_as)
            os.chown(work, account.pw_uid, account.pw_gid)
        if not (data / "PG_VERSION").is_file():
            self._initdb(binaries, data, work, run_as)
        chosen = choose_port(self.name, port)
        log = self.log_path(run_dir)
        argv = [str(binaries / "postgres"), "-D", str(data), "-c", f"listen_addresses={HOST}",
                "-c", f"port={chosen}", "-c", "unix_socket_directories=", "-c", "logging_collector=off",
                *(arg for key, value in SERVER_OPTIONS.items() for arg in ("-c", f"{key}={value}"))]
        pid, ticks = spawn(argv, log, work, run_as)
        version = subprocess.run([str(binaries / "postgres"), "--version"], capture_output=True, text=True, check=True)
        url = f"postgresql://{SUPERUSER}@{HOST}:{chosen}/postgres"
        return Running(
            name=self.name, pid=pid, start_ticks=ticks, url=url, version=version.stdout.split()[2],
            ports={"postgres": chosen}, directory=str(work), log=str(log),
            env={"FAILURE_DB_DSN": url, "FAILURE_DB_JDBC_URL": f"jdbc:postgresql://{HOST}:{chosen}/postgres",
                 "FAILURE_DB_USER": SUPERUSER, "FAILURE_DB_PASSWORD": ""},
        )

    def _initdb(self, binaries: Path, data: Path, work: Path, run_as: str | None) -> None:
        log = work / "initdb.log"
        with log.open("w") as out:
            result = subprocess.run(
                [str(binaries / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-locale"],
                cwd=work, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False,
                user=run_as, group=run_as, extra_groups=[] if run_as else None,
            )
        if result.returncode != 0:
            raise ServiceError(self.name, f"initdb failed; full log `{log}`", log_tail(log))

    def health(self, running: Running) -> Health:
        try:
            with psycopg.connect(dsn(running.ports["postgres"]), connect_timeout=2) as conn:
                version = conn.execute("SHOW server_version").fetchone()
        except psycopg.OperationalError as error:
            return Health(False, str(error).strip().splitlines()[0])
        return Health(True, f"accepts connections (server {version[0] if version else '?'})")

    def stop(self, running: Running) -> None:
        terminate(running, signal.SIGINT)

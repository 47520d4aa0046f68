"""ClickHouse for the local stack: the embedded engine (chdb) served over ClickHouse's HTTP interface.

No ClickHouse server can be installed here, and a chdb data directory can be opened by one process
only, while NiFi runs each Python processor in its own process: one server process
(`spotlight_nifi.clickhouse.http_server`) owns `<run dir>/clickhouse/data` and every client,
clickhouse-connect included, talks to it over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import signal
import sys
import urllib.request
from pathlib import Path

from spotlight_nifi.errors import ServiceError
from spotlight_nifi.stack.process import HOST, Health, InstallStep, choose_port, spawn, terminate
from spotlight_nifi.stack.state import Running


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""127.0.0.1 is never reached through a proxy from the environment."""


def _ask(url: str, sql: bytes | None = None) -> str:
    """GET `url`, or POST `sql` to it; the answer's text."""
    with _DIRECT.open(urllib.request.Request(url, data=sql), timeout=2) as response:
        return response.read().decode()


class ClickHouseService:
    """The embedded engine behind ClickHouse's HTTP interface, listening on 127.0.0.1."""

    name = "clickhouse"
    startup_timeout = 30.0

    def install_steps(self) -> list[InstallStep]:
        """Nothing to download: chdb is a Python dependency of the package."""
        return [InstallStep("the chdb package", self._check_chdb)]

    def _check_chdb(self) -> None:
        if importlib.util.find_spec("chdb") is None:
            raise ServiceError(self.name, "the `chdb` package is not installed: run `scripts/install`")

    def log_path(self, run_dir: Path) -> Path:
        return run_dir / self.name / "clickhouse.log"

    def start(self, run_dir: Path, port: int | None) -> Running:
        work = run_dir / self.name
        work.mkdir(parents=True, exist_ok=True)
        chosen = choose_port(self.name, port)
        log = self.log_path(run_dir)
        argv = [sys.executable, "-u", "-m", "spotlight_nifi.clickhouse.http_server",
                "--path", str(work / "data"), "--host", HOST, "--port", str(chosen)]
        pid, ticks = spawn(argv, log, work)
        url = f"http://{HOST}:{chosen}/default"
        return Running(
            name=self.name, pid=pid, start_ticks=ticks, url=url, version=f"chdb {importlib.metadata.version('chdb')}",
            ports={"http": chosen}, directory=str(work), log=str(log), env={"CLICKHOUSE_URL": url, "CLICKHOUSE_PASSWORD": ""},
        )

    def health(self, running: Running) -> Health:
        base = f"http://{HOST}:{running.ports['http']}"
        try:
            ping = _ask(f"{base}/ping")
            answer = _ask(f"{base}/", b"SELECT 1, version()")
        except OSError as error:
            return Health(False, f"no answer from {base}: {error}")
        one, _, version = answer.strip().partition("\t")
        if ping != "Ok.\n" or one != "1":
            return Health(False, f"unexpected answers from {base}: /ping {ping!r}, SELECT 1 {answer!r}")
        return Health(True, f"answers SELECT 1 (ClickHouse {version}, embedded)")

    def stop(self, running: Running) -> None:
        terminate(running, signal.SIGTERM)

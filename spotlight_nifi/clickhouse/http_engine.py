"""The one chdb session behind the HTTP server: every request runs on it, one at a time.

A data directory can be opened by one process only, so the HTTP server owns it and serializes
requests with a lock. Per-request state of a real server (database, settings) is set on the shared
session before each statement: a setting a request does not name is put back to the value the
session started with, so one client's settings never leak into another's request.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chdb import session

from spotlight_nifi.clickhouse.http_protocol import (
    ABORTED, COMPRESSION_METHODS, NOT_IMPLEMENTED, UNKNOWN_FORMAT, InlineInsert, Refused, Request, inline_insert,
)
from spotlight_nifi.infer.names import literal, quote

log = logging.getLogger(__name__)

_PYTHON_FORMATS = frozenset({"dataframe", "datastore", "arrowtable"})
"""Output formats chdb's Python layer turns into objects instead of bytes: not ClickHouse formats."""
_LOCKING_SETTINGS = frozenset({"readonly"})
"""Settings that, once set on the shared session, would forbid putting the others back."""


@dataclass(frozen=True)
class Answer:
    """A statement's output, the `X-ClickHouse-Summary` counters, and the statement's first line for the log."""

    body: bytes
    summary: dict[str, str]
    timezone: str
    statement: str


class Engine:
    """chdb on one data directory, shared by every request."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._session: Any = session.Session(str(path))
        self._lock = threading.Lock()
        self._spool = Path(tempfile.mkdtemp(prefix="spotlight-chdb-http-"))
        rows = json.loads(self._run(b"SELECT name, value FROM system.settings", "JSONCompact").bytes())["data"]
        self._defaults: dict[str, str] = dict(rows)
        self._changed: dict[str, str] = {}
        self._ignored: set[str] = set()
        about = self._run(b"SELECT version(), timezone()", "TabSeparated").bytes().decode()
        self.version, self.timezone = about.rstrip("\n").split("\t")

    def execute(self, request: Request) -> Answer:
        """Run one request's statement with its database, settings and query parameters."""
        if request.default_format.lower() in _PYTHON_FORMATS:
            raise Refused(UNKNOWN_FORMAT, "UNKNOWN_FORMAT", f"Unknown format {request.default_format}")
        with self._lock:
            if self._session is None:
                raise Refused(ABORTED, "ABORTED", "the server is shutting down")
            text = request.prefix + self._decompress(request.body, request.encoding)
            inline = inline_insert(text)
            self._run(f"USE {quote(request.database)}".encode(), "TabSeparated")
            self._apply(request.settings)
            started = time.perf_counter_ns()
            result = (self._run(text, request.default_format, request.parameters) if inline is None
                      else self._insert(inline, request))
            summary = {"read_rows": str(result.rows_read()), "read_bytes": str(result.bytes_read()),
                       "written_rows": str(result.rows_written()), "written_bytes": str(result.bytes_written()),
                       "elapsed_ns": str(time.perf_counter_ns() - started)}
            body = result.bytes()
        first_line = text[:200].split(b"\n", 1)[0].decode("utf-8", "replace")
        return Answer(body, summary, request.settings.get("session_timezone") or self.timezone, first_line)

    def _insert(self, inline: InlineInsert, request: Request) -> Any:
        data = self._spool / "insert"
        data.write_bytes(inline.data)
        try:
            return self._run(inline.from_infile(str(data)), request.default_format, request.parameters)
        finally:
            data.unlink(missing_ok=True)

    def _decompress(self, body: bytes, encoding: str) -> bytes:
        """The body as sent before `Content-Encoding`, decompressed by the engine itself."""
        if encoding in ("", "identity", "none"):
            return body
        if encoding not in COMPRESSION_METHODS:
            raise Refused(NOT_IMPLEMENTED, "NOT_IMPLEMENTED", f"Unknown compression method '{encoding}' in Content-Encoding. "
                          f"Only {', '.join(sorted(COMPRESSION_METHODS))} are supported")
        spooled = self._spool / "body"
        spooled.write_bytes(body)
        try:
            sql = f"SELECT raw FROM file({literal(str(spooled))}, 'RawBLOB', 'raw String', {literal(encoding)})"
            return bytes(self._run(sql.encode(), "RawBLOB").bytes())
        finally:
            spooled.unlink(missing_ok=True)

    def _apply(self, wanted: dict[str, str]) -> None:
        """Make the session's settings the defaults plus `wanted`, with one SET of the differences."""
        locking = sorted(wanted.keys() & _LOCKING_SETTINGS)
        if locking:
            raise Refused(NOT_IMPLEMENTED, "NOT_IMPLEMENTED", f"the `{locking[0]}` setting is not supported here: it would "
                          "lock the one session every client shares")
        unknown = wanted.keys() - self._defaults.keys() - self._ignored
        if unknown:
            log.info("ignoring settings this engine does not know: %s", ", ".join(sorted(unknown)))
            self._ignored |= unknown
        target = {name: self._defaults[name] for name in self._changed}
        target.update((name, value) for name, value in wanted.items() if name in self._defaults)
        differences = {name: value for name, value in target.items() if self._changed.get(name, self._defaults[name]) != value}
        if not differences:
            return
        try:
            self._set(differences)
        except Refused:
            self._set({name: self._defaults[name] for name in differences})
            self._changed = {name: value for name, value in self._changed.items() if name not in differences}
            raise
        self._changed = {name: value for name, value in target.items() if value != self._defaults[name]}

    def _set(self, settings: dict[str, str]) -> None:
        self._run(("SET " + ", ".join(f"{name} = {literal(value)}" for name, value in settings.items())).encode(), "TabSeparated")

    def _run(self, sql: bytes, fmt: str, parameters: dict[str, str] | None = None) -> Any:
        try:
            return self._session.query(sql, fmt, params=parameters or {})
        except Exception as error:  # chdb raises plain Exception subclasses carrying ClickHouse's message
            raise Refused.from_engine(error) from None

    def close(self) -> None:
        """Wait for the running statement, then close the session so another process can open the directory."""
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None
        shutil.rmtree(self._spool, ignore_errors=True)

"""ClickHouse's HTTP interface in front of the embedded engine (chdb), for clients in other processes.

NiFi runs each Python processor type in its own process, and a chdb data directory can be opened
by one process only: this server owns the directory and answers what clickhouse-connect sends
(`/ping`, queries in the body or the `query` parameter, `INSERT ... FORMAT Native` with a
compressed body, settings as URL parameters). It is the real ClickHouse engine, not a ClickHouse
server: no users, no sessions, no response compression. Run it with
`python -m spotlight_nifi.clickhouse.http_server --path DIR --port N`.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from urllib.parse import parse_qsl, urlsplit

from spotlight_nifi.clickhouse.http_engine import Engine
from spotlight_nifi.clickhouse.http_protocol import HTTP_LENGTH_REQUIRED, UNKNOWN_EXCEPTION, Refused, parse_request

log = logging.getLogger(__name__)

_HEALTH_PATHS = ("/ping", "/replicas_status")


class ClickHouseHTTPServer(ThreadingHTTPServer):
    """One thread per connection; the engine runs one statement at a time."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], engine: Engine) -> None:
        self.engine = engine
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ClickHouseHTTPServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path in _HEALTH_PATHS or (parts.path == "/" and not parts.query):
            self._send(200, b"Ok.\n", {"Content-Type": "text/plain; charset=UTF-8"})
            return
        self._query(parts.query, b"")

    def do_POST(self) -> None:
        try:
            body = self._body()
        except Refused as refused:
            self._refuse(refused, "")
            return
        self._query(urlsplit(self.path).query, body)

    def _body(self) -> bytes:
        """The request body, whether sent with a length or in chunks (clickhouse-connect streams inserts)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(chunks)
        if self.headers.get("Content-Length") is None:
            self.close_connection = True
            raise Refused(HTTP_LENGTH_REQUIRED, "HTTP_LENGTH_REQUIRED",
                          "The Transfer-Encoding is not chunked and there is no Content-Length header for POST request")
        return self.rfile.read(int(self.headers["Content-Length"]))

    def _query(self, url_query: str, body: bytes) -> None:
        started = time.perf_counter()
        query_id = ""
        try:
            headers = {name.lower(): value for name, value in self.headers.items()}
            request = parse_request(parse_qsl(url_query, keep_blank_values=True), headers, body)
            query_id = request.query_id or str(uuid.uuid4())
            answer = self.server.engine.execute(request)
        except Refused as refused:
            self._refuse(refused, query_id)
            return
        except Exception as error:
            log.exception("request failed")
            self._refuse(Refused(UNKNOWN_EXCEPTION, "UNKNOWN_EXCEPTION", f"{type(error).__name__}: {error}"), query_id)
            return
        self._send(200, answer.body, {
            "Content-Type": "application/octet-stream", "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Timezone": answer.timezone, "X-ClickHouse-Summary": json.dumps(answer.summary),
        })
        log.info("%s 200 %.1f ms %s", query_id, (time.perf_counter() - started) * 1000, answer.statement)

    def _refuse(self, refused: Refused, query_id: str) -> None:
        log.info("%s %d %s", query_id or "-", refused.status, refused)
        self._send(refused.status, f"{refused}\n".encode(), {
            "Content-Type": "text/plain; charset=UTF-8", "X-ClickHouse-Exception-Code": str(refused.code),
            **({"X-ClickHouse-Query-Id": query_id} if query_id else {}),
        })

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Requests are logged once each by `_query` and `_refuse`, not again by http.server."""


@contextmanager
def serve(path: Path, host: str, port: int) -> Iterator[ClickHouseHTTPServer]:
    """The server on `host:port` over the engine on `path`; both are closed on exit."""
    engine = Engine(path)
    try:
        with ClickHouseHTTPServer((host, port), engine) as server:
            yield server
    finally:
        engine.close()


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> None:
    """Serve until SIGTERM or Ctrl-C, then close the engine cleanly."""
    parser = argparse.ArgumentParser(prog="python -m spotlight_nifi.clickhouse.http_server", description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, required=True, help="chdb data directory (one process per directory)")
    parser.add_argument("--port", type=int, default=8123, help="port to listen on (default 8123)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    signal.signal(signal.SIGTERM, _stop)
    with serve(args.path, args.host, args.port) as server:
        log.info("ClickHouse %s (chdb) on `%s` answers HTTP on http://%s:%d", server.engine.version, args.path, args.host, args.port)
        try:
            server.serve_forever()
        except (KeyboardInterrupt, SystemExit):
            log.info("stopping: waiting for the running statement")
    log.info("stopped; `%s` is closed", args.path)


if __name__ == "__main__":
    main()

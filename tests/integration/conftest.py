"""Real services for integration tests, started once per session in a temporary run dir.

`stack` starts a service the first time a test needs it (so a PostgreSQL-only run never
starts Kafka) and stops everything at the end of the session. When a service cannot start,
the test fails with the reason under `CI=true` and is skipped with the reason elsewhere.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from spotlight_nifi import failures
from spotlight_nifi import stack as local_stack
from spotlight_nifi.clickhouse import connect
from spotlight_nifi.clickhouse.embedded import Embedded
from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ServiceError
from spotlight_nifi.stack import postgres
from spotlight_nifi.stack.state import Running, StackState
from tests.availability import unavailable


def make_run_dir() -> Path:
    """A fresh run dir the `postgres` user can enter (pytest's own tmp dirs are mode 0700)."""
    path = Path(tempfile.mkdtemp(prefix="spotlight-stack-"))
    path.chmod(0o755)
    return path


@pytest.fixture
def fresh_run_dir() -> Iterator[Path]:
    """An empty run dir for a test's own stack; whatever it started is stopped and deleted after."""
    path = make_run_dir()
    yield path
    local_stack.down(path, local_stack.cache_dir(Settings.load()), purge=True)


class LocalStack:
    """The session's services: `require(name)` starts one on first use and returns it."""

    def __init__(self, run_dir: Path, cache: Path) -> None:
        self.run_dir = run_dir
        self.cache = cache
        self.errors: dict[str, str] = {}

    def require(self, name: str) -> Running:
        running = StackState.load(self.run_dir).running.get(name)
        if running is None and name not in self.errors:
            try:
                running = local_stack.up(self.run_dir, self.cache, [name]).running[name]
            except ServiceError as error:
                self.errors[name] = f"local service `{name}` could not start: {error}"
        if running is None:
            unavailable(self.errors[name])
        return running

    def close(self) -> None:
        local_stack.down(self.run_dir, self.cache)
        shutil.rmtree(self.run_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    """The session's local stack; services start on first `require`, all stop at the end."""
    started = LocalStack(make_run_dir(), local_stack.cache_dir(Settings.load()))
    yield started
    started.close()


@pytest.fixture(scope="session")
def kafka_bootstrap(stack: LocalStack) -> str:
    """`127.0.0.1:PORT` of a single-node Kafka (KRaft) broker."""
    return stack.require("kafka").url


@pytest.fixture(scope="session")
def kafka_connect_url(stack: LocalStack) -> str:
    """`http://127.0.0.1:PORT` of Kafka Connect (distributed, with Debezium's PostgreSQL connector) on the
    session's Kafka; the session's PostgreSQL, which it captures changes from, is up too."""
    stack.require("kafka")
    stack.require("postgres")
    return stack.require("connect").url


@pytest.fixture(scope="session")
def nifi_registry_url(stack: LocalStack) -> str:
    """`http://127.0.0.1:PORT` of the session's NiFi Registry 0.8.0."""
    return stack.require("nifi-registry").url


@pytest.fixture(scope="session")
def nifi_url(stack: LocalStack) -> str:
    """`http://127.0.0.1:PORT` of the session's NiFi 2.3.0 (started once: it takes half a minute)."""
    return stack.require("nifi").url


@pytest.fixture(scope="session")
def stack_settings(stack: LocalStack, nifi_url: str) -> Callable[..., Settings]:
    """`stack_settings(KEY=value, ...)`: the settings a user gets from `spotlight-nifi dev env` with
    PostgreSQL, ClickHouse and NiFi up, plus these keys (a deploy reads its parameters from them)."""
    running = [stack.require(name) for name in ("postgres", "clickhouse", "nifi")]
    local = {key: value for service in running for key, value in service.env.items()}

    def settings(**extra: str) -> Settings:
        return Settings(environ={**local, **extra})

    return settings


@pytest.fixture(scope="session")
def clickhouse_url(stack: LocalStack) -> str:
    """`http://127.0.0.1:PORT/default`: the embedded ClickHouse engine behind ClickHouse's HTTP interface."""
    return stack.require("clickhouse").url


@pytest.fixture(scope="session")
def new_database(stack: LocalStack) -> Callable[[str], str]:
    """`new_database(prefix)` creates a fresh, empty database on the session's PostgreSQL; its DSN."""
    port = stack.require("postgres").ports["postgres"]

    def create(prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(postgres.dsn(port), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return postgres.dsn(port, name)

    return create


@pytest.fixture(scope="session")
def postgres_dsn(new_database: Callable[[str], str]) -> str:
    """A libpq DSN of a fresh, empty database on the session's PostgreSQL."""
    return new_database("test")


@pytest.fixture
def failure_db(postgres_dsn: str) -> str:
    """The session database, migrated, with an empty failures table."""
    failures.migrate(postgres_dsn)
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("TRUNCATE failures RESTART IDENTITY CASCADE")  # and its attempts and audit rows
    return postgres_dsn


@pytest.fixture(scope="module")
def clickhouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Embedded]]:
    """The embedded ClickHouse engine on a fresh data directory, with its `chdb://` URL, for one module
    (chdb allows one data directory per process at a time, so modules take turns)."""
    url = f"chdb://{tmp_path_factory.mktemp('clickhouse')}"
    db = connect(url)
    if not isinstance(db, Embedded):
        raise TypeError(f"`{url}` did not open the embedded engine")
    yield url, db
    db.close()


@pytest.fixture(scope="module")
def db(clickhouse: tuple[str, Embedded]) -> Embedded:
    """The module's embedded ClickHouse engine, for tests that need no URL."""
    return clickhouse[1]



STEWARD_PASSWORD = "correct horse battery staple"
"""The steward password of the test pages (its hash is made per test, as `.env` would hold it)."""
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,1000")


@pytest.fixture
def serve_web() -> Iterator[Callable[..., str]]:
    """`serve_web(config)` runs the stewards' page on a free loopback port in a thread; its base URL.
    Every page started is shut down after the test."""
    from spotlight_nifi import web

    started = []

    def start(config: web.WebConfig) -> str:
        server = web.server(config, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, name="failures-web", daemon=True).start()
        started.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in started:
        server.shutdown()
        server.server_close()
        server.app.extensions["spotlight_failures"].close()


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Any]:
    """Debian's Chromium, headless, through Debian's chromedriver (nothing downloaded), with a fresh
    profile; downloads go to `tmp_path / "downloads"`."""
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError as error:
        unavailable(f"the browser tests need selenium ({error}): scripts/install installs it")
    lacking = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if lacking:
        unavailable(f"{' and '.join(lacking)} not found: scripts/install installs Debian's chromium and chromium-driver")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (*CHROMIUM_ARGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    try:
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    except WebDriverException as error:
        unavailable(f"headless Chromium could not start: {error.msg}")
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    yield driver
    driver.quit()

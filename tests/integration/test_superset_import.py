"""The starter dashboard and its connections import into a real Superset of the release the stack
runs (from PyPI, in a virtualenv of its own), the way the rendered start script imports them: the
metadata DB upgraded, the admin made, `superset init`, the bundle packed by the script's own code
and `superset import-dashboards`, at every start, so twice. Superset connects while importing, so
the two connections point at the local stack's ClickHouse and failure DB instead of compose's host
names; then queries run through Superset's own connections to them."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import psycopg
import pytest
import yaml

from spotlight_nifi.config import Settings
from tests.superset_start import pack
from tests.tools import install

pytestmark = pytest.mark.integration

EXAMPLE_ENV = Path(__file__).resolve().parents[2] / "example.env"
PASSWORDS = {"CLICKHOUSE_PASSWORD": "click:house/pw", "FAILURE_DB_PASSWORD": "failure db pw"}
QUERIES = """
import json
from superset.app import create_app
with create_app().app_context():
    from superset import db
    from superset.connectors.sqla.models import SqlaTable
    from superset.models.core import Database
    answers = {f"{d.database_name}: SELECT 1": int(d.get_df("SELECT 1 AS one")["one"][0])
               for d in db.session.query(Database).all()}
    for dataset in db.session.query(SqlaTable).filter(SqlaTable.sql.is_(None)).all():
        metric = dataset.metrics[0]
        frame = dataset.database.get_df(f"SELECT {metric.expression} AS value FROM {dataset.schema}.{dataset.table_name}")
        answers[metric.metric_name] = int(frame["value"][0])
    print(json.dumps(answers))
"""
"""Through Superset's own connections: each answers, and each table dataset's metric runs (the
ClickHouse dataset reads `system.part_log`, which the local engine does not keep; its SQL runs
against the rendered ClickHouse configuration in tests/unit/infra/test_infra_clickhouse_engine.py)."""


@pytest.fixture(scope="module")
def superset() -> Path:
    return install.built(install.superset)


def _run(superset: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SUPERSET_CONFIG_PATH": str(home / "superset_config.py"), "SUPERSET_HOME": str(home),
           "FLASK_APP": "superset.app:create_app()",  # as Superset's image sets it
           "PATH": f"{superset.parent}:{os.environ['PATH']}"}
    done = subprocess.run([str(superset), *args], env=env, cwd=home, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and "Traceback" not in done.stderr, f"superset {args[0]}: {done.stderr[-4000:]}"
    return done


def _start(superset: Path, home: Path, bundle: Path) -> None:
    """The start script's steps, the driver install and the server excepted."""
    _run(superset, home, "db", "upgrade")
    _run(superset, home, "fab", "create-admin", "--username", "admin", "--password", "admin-password-123",
         "--firstname", "Superset", "--lastname", "Admin", "--email", "admin@localhost")
    _run(superset, home, "init")
    _run(superset, home, "import-dashboards", "--path", str(bundle), "--username", "admin")


def _repoint(bundle: Path, uris: dict[str, str]) -> None:
    """The bundle with each connection's URI replaced (by file name), all else as packed."""
    with zipfile.ZipFile(bundle) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    for name, uri in uris.items():
        document = yaml.safe_load(members[f"spotlight/databases/{name}.yaml"])
        document["sqlalchemy_uri"] = uri
        members[f"spotlight/databases/{name}.yaml"] = yaml.safe_dump(document).encode()
    with zipfile.ZipFile(bundle, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_superset_imports_the_dashboard_and_its_datasets_answer(superset: Path, failure_db: str, clickhouse_url: str,
                                                                tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "superset_config.py").write_text(f'SECRET_KEY = "{"k" * 32}"\n'
                                             f'SQLALCHEMY_DATABASE_URI = "sqlite:///{home / "superset.db"}"\n')
    bundle = pack(Settings.load(EXAMPLE_ENV, environ={}), tmp_path, PASSWORDS)
    postgres = psycopg.conninfo.conninfo_to_dict(failure_db)
    _repoint(bundle, {
        "failure_db": f"postgresql+psycopg2://{postgres['user']}@{postgres['host']}:{postgres['port']}/{postgres['dbname']}",
        "clickhouse": f"clickhousedb://default@{clickhouse_url.removeprefix('http://').rsplit('/', 1)[0]}/default"})
    for _ in range(2):
        _start(superset, home, bundle)
    with sqlite3.connect(home / "superset.db") as db:
        dashboards = db.execute("SELECT dashboard_title FROM dashboards").fetchall()
        charts = db.execute("SELECT slice_name FROM slices ORDER BY slice_name").fetchall()
        datasets = db.execute("SELECT t.table_name, d.database_name FROM tables t JOIN dbs d ON d.id = t.database_id "
                              "ORDER BY t.table_name").fetchall()
        on_dashboard = db.execute("SELECT d.dashboard_title, s.slice_name FROM dashboard_slices l "
                                  "JOIN dashboards d ON d.id = l.dashboard_id JOIN slices s ON s.id = l.slice_id "
                                  "ORDER BY s.slice_name").fetchall()
    assert dashboards == [("Spotlight",)]
    assert charts == [("Failures by reason",), ("Rows ingested per table per hour",)]
    assert on_dashboard == [("Spotlight", name) for (name,) in charts]
    assert datasets == [("failures", "Spotlight failure DB"), ("rows_ingested", "Spotlight ClickHouse")]
    answered = subprocess.run([str(superset.parent / "python"), "-c", QUERIES], capture_output=True, text=True,
                              timeout=300, env={**os.environ, "SUPERSET_CONFIG_PATH": str(home / "superset_config.py")})
    assert answered.returncode == 0, answered.stderr[-4000:]
    assert json.loads(answered.stdout.strip().splitlines()[-1]) == {
        "Spotlight ClickHouse: SELECT 1": 1, "Spotlight failure DB: SELECT 1": 1, "failed_records": 0}

"""The Superset import bundle: the fields Superset's v1 import schemas require, references that
resolve, and the start script's packing, which puts the passwords in from the environment."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import yaml

from spotlight_nifi.config import Settings
from spotlight_nifi.infra import render_compose

REQUIRED = {
    "databases": {"database_name", "sqlalchemy_uri", "uuid", "version"},
    "datasets": {"table_name", "uuid", "version", "database_uuid"},
    "charts": {"slice_name", "viz_type", "params", "uuid", "version", "dataset_uuid"},
    "dashboards": {"dashboard_title", "uuid", "version", "position", "metadata"},
}
"""Required fields of Superset's ImportV1{Database,Dataset,Chart,Dashboard}Schema."""


def _superset(settings: Settings) -> tuple[dict[str, str], str]:
    document = yaml.safe_load(render_compose(settings))
    files = {entry["target"]: document["configs"][entry["source"]]["content"].replace("$$", "$")
             for entry in document["services"]["superset"]["configs"]}
    script = files.pop("/opt/spotlight/start.sh")
    return files, script


def _bundle(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {path.removeprefix("/opt/spotlight/superset/"): yaml.safe_load(text) for path, text in files.items()}


def test_every_object_has_what_superset_requires_and_references_resolve(scenario: Settings) -> None:
    bundle = _bundle(_superset(scenario)[0])
    assert bundle.pop("metadata.yaml") == {"version": "1.0.0", "type": "Dashboard", "timestamp": "2025-01-01T00:00:00+00:00"}
    kinds: dict[str, list[dict[str, Any]]] = {}
    for path, document in bundle.items():
        kind = path.split("/", 1)[0]
        assert REQUIRED[kind] <= set(document), f"{path} lacks {REQUIRED[kind] - set(document)}"
        kinds.setdefault(kind, []).append(document)
    uuids = {kind: {document["uuid"] for document in documents} for kind, documents in kinds.items()}
    assert {d["database_uuid"] for d in kinds["datasets"]} <= uuids["databases"]
    assert {c["dataset_uuid"] for c in kinds["charts"]} <= uuids["datasets"]
    cells = kinds["dashboards"][0]["position"].values()
    assert {c["meta"]["uuid"] for c in cells if isinstance(c, dict) and c.get("type") == "CHART"} == uuids["charts"]
    assert {c["slice_name"] for c in kinds["charts"]} == {"Rows ingested per table per hour", "Failures by reason"}


def test_no_password_is_in_the_bundle_and_the_start_script_puts_them_in(example: Settings, tmp_path: Path) -> None:
    files, script = _superset(example)
    root = tmp_path / "superset"
    for path, text in files.items():
        target = root / path.removeprefix("/opt/spotlight/superset/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    packing = re.search(r"python - <<'PY'\n(.*?)\nPY\n", script, re.DOTALL)
    assert packing, "the start script no longer packs the bundle with Python"
    code = packing[1].replace('"/opt/spotlight/superset"', repr(str(root))).replace(
        '"/tmp/spotlight-dashboard.zip"', repr(str(tmp_path / "bundle.zip")))
    environment = {**os.environ, "CLICKHOUSE_PASSWORD": "p@ss:/word", "FAILURE_DB_PASSWORD": "other"}
    subprocess.run([sys.executable, "-c", code], env=environment, check=True, timeout=60)
    with zipfile.ZipFile(tmp_path / "bundle.zip") as archive:
        names = archive.namelist()
        clickhouse = yaml.safe_load(archive.read("spotlight/databases/clickhouse.yaml"))
        failure_db = yaml.safe_load(archive.read("spotlight/databases/failure_db.yaml"))
    assert all(name.startswith("spotlight/") for name in names) and "spotlight/metadata.yaml" in names
    assert clickhouse["sqlalchemy_uri"] == "clickhousedb://spotlight:p%40ss%3A%2Fword@clickhouse:8123/spotlight"
    assert failure_db["sqlalchemy_uri"] == "postgresql+psycopg2://spotlight:other@postgres:5432/spotlight_failures"
    assert ":<CLICKHOUSE_PASSWORD>@clickhouse:8123/" in files["/opt/spotlight/superset/databases/clickhouse.yaml"]

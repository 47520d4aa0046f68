"""The Superset import bundle: the fields Superset's v1 import schemas require, references that
resolve, and the start script's packing, which puts the passwords in from the environment."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import yaml

from spotlight_nifi.config import Settings
from tests.superset_start import pack, rendered

REQUIRED = {
    "databases": {"database_name", "sqlalchemy_uri", "uuid", "version"},
    "datasets": {"table_name", "uuid", "version", "database_uuid"},
    "charts": {"slice_name", "viz_type", "params", "uuid", "version", "dataset_uuid"},
    "dashboards": {"dashboard_title", "uuid", "version", "position", "metadata"},
}
"""Required fields of Superset's ImportV1{Database,Dataset,Chart,Dashboard}Schema."""


def _bundle(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {path.removeprefix("/opt/spotlight/superset/"): yaml.safe_load(text) for path, text in files.items()}


def test_every_object_has_what_superset_requires_and_references_resolve(scenario: Settings) -> None:
    bundle = _bundle(rendered(scenario)[0])
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
    files, _ = rendered(example)
    bundle = pack(example, tmp_path, {"CLICKHOUSE_PASSWORD": "p@ss:/word", "FAILURE_DB_PASSWORD": "other"})
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        clickhouse = yaml.safe_load(archive.read("spotlight/databases/clickhouse.yaml"))
        failure_db = yaml.safe_load(archive.read("spotlight/databases/failure_db.yaml"))
    assert all(name.startswith("spotlight/") for name in names) and "spotlight/metadata.yaml" in names
    assert clickhouse["sqlalchemy_uri"] == "clickhousedb://spotlight:p%40ss%3A%2Fword@clickhouse:8123/spotlight"
    assert failure_db["sqlalchemy_uri"] == "postgresql+psycopg2://spotlight:other@postgres:5432/spotlight_failures"
    assert ":<CLICKHOUSE_PASSWORD>@clickhouse:8123/" in files["/opt/spotlight/superset/databases/clickhouse.yaml"]

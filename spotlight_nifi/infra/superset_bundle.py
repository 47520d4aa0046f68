"""Superset's own import format (a ZIP of YAML files) for the starter dashboard and its connections.

The files are rendered here as text and zipped by Superset's start script, which also puts the
connection passwords into the URIs from its environment (`<CLICKHOUSE_PASSWORD>` and
`<FAILURE_DB_PASSWORD>` are placeholders): no rendered file holds a password. UUIDs are derived
from names, so importing again on every start updates the same objects.

Dashboard "Spotlight": rows ingested per table per hour (ClickHouse's part log: every insert is a
`NewPart`, across all replicas in a cluster) and failures by reason (the failure DB).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import yaml

ROOT = "/opt/spotlight/superset"
VERSION = "1.0.0"


def _uuid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"spotlight-nifi/superset/{name}"))


@dataclass(frozen=True)
class Sources:
    """Where the dashboard reads from: ClickHouse and the failure DB as Superset reaches them."""

    clickhouse: str
    clickhouse_user: str
    clickhouse_db: str
    cluster: str
    postgres: str
    failure_db_user: str
    failure_db_name: str


def part_log_sql(database: str, cluster: str) -> str:
    """The rows each insert added, per table and time; over every replica when there is a cluster."""
    source = f"clusterAllReplicas('{cluster}', system.part_log)" if cluster else "system.part_log"
    return (f"SELECT table, event_time, rows FROM {source}\n"
            f"WHERE event_type = 'NewPart' AND database = '{database}'")


def _database(name: str, uri: str) -> dict[str, Any]:
    return {"database_name": name, "sqlalchemy_uri": uri, "expose_in_sqllab": True, "allow_ctas": False,
            "allow_cvas": False, "allow_dml": False, "allow_run_async": False, "allow_csv_upload": False,
            "cache_timeout": None,
            "extra": {"allows_virtual_table_explore": True}, "uuid": _uuid(name), "version": VERSION}


def _column(name: str, kind: str, *, time: bool = False, group: bool = True) -> dict[str, Any]:
    return {"column_name": name, "type": kind, "is_dttm": time, "groupby": group, "filterable": group}


def _dataset(name: str, database: str, schema: str, sql: str | None, time: str,
             columns: list[dict[str, Any]], metric: tuple[str, str]) -> dict[str, Any]:
    return {"table_name": name, "schema": schema, "sql": sql, "main_dttm_col": time, "uuid": _uuid(name),
            "database_uuid": _uuid(database), "version": VERSION, "filter_select_enabled": True,
            "columns": columns, "metrics": [{"metric_name": metric[0], "expression": metric[1]}]}


def _chart(name: str, dataset: str, x_axis: str, metric: str, groupby: str, grain: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"viz_type": "echarts_timeseries_bar", "x_axis": x_axis, "metrics": [metric],
                              "groupby": [groupby], "row_limit": 10000, "stack": "Stack", "show_legend": True}
    if grain:
        params |= {"time_grain_sqla": grain, "adhoc_filters": [
            {"clause": "WHERE", "subject": x_axis, "operator": "TEMPORAL_RANGE", "comparator": "Last week",
             "expressionType": "SIMPLE"}]}
    return {"slice_name": name, "viz_type": "echarts_timeseries_bar", "params": params, "cache_timeout": None,
            "uuid": _uuid(name), "dataset_uuid": _uuid(dataset), "version": VERSION}


def _dashboard(title: str, charts: list[dict[str, Any]]) -> dict[str, Any]:
    cells = {f"CHART-{number}": {
        "type": "CHART", "id": f"CHART-{number}", "children": [], "parents": ["ROOT_ID", "GRID_ID", "ROW-1"],
        "meta": {"chartId": number, "uuid": chart["uuid"], "sliceName": chart["slice_name"], "width": 6, "height": 60},
    } for number, chart in enumerate(charts, start=1)}
    position = {"DASHBOARD_VERSION_KEY": "v2",
                "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
                "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": ["ROW-1"], "parents": ["ROOT_ID"]},
                "HEADER_ID": {"type": "HEADER", "id": "HEADER_ID", "meta": {"text": title}},
                "ROW-1": {"type": "ROW", "id": "ROW-1", "children": list(cells), "parents": ["ROOT_ID", "GRID_ID"],
                          "meta": {"background": "BACKGROUND_TRANSPARENT"}},
                **cells}
    return {"dashboard_title": title, "slug": "spotlight", "description": None, "css": "", "published": True,
            "uuid": _uuid(title), "position": position, "version": VERSION,
            "metadata": {"refresh_frequency": 300, "color_scheme": "", "expanded_slices": {}, "label_colors": {},
                         "timed_refresh_immune_slices": [], "default_filters": "{}",
                         "native_filter_configuration": []}}


class _Dumper(yaml.SafeDumper):
    """Multi-line text (the SQL) as a `|` block, and no line folding: a folded line could split a
    Nomad template expression (`{{ … }}`) that the file holds on Nomad."""


_Dumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
    "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None))


def _yaml(document: dict[str, Any]) -> str:
    return str(yaml.dump(document, Dumper=_Dumper, sort_keys=True, allow_unicode=True, default_flow_style=False,
                         width=1_000_000))


def bundle(sources: Sources) -> dict[str, str]:
    """Each file of the import bundle, by its path in the container (under `ROOT`)."""
    clickhouse, failure_db = "Spotlight ClickHouse", "Spotlight failure DB"
    rows = _dataset("rows_ingested", clickhouse, sources.clickhouse_db,
                    part_log_sql(sources.clickhouse_db, sources.cluster), "event_time",
                    [_column("table", "String"), _column("event_time", "DateTime", time=True, group=False),
                     _column("rows", "UInt64", group=False)], ("rows_ingested", "sum(rows)"))
    failures = _dataset("failures", failure_db, "public", None, "first_seen",
                        [_column("flow", "TEXT"), _column("processor", "TEXT"), _column("reason", "TEXT"),
                         _column("status", "TEXT"), _column("first_seen", "TIMESTAMP", time=True, group=False)],
                        ("failed_records", "COUNT(*)"))
    per_hour = _chart("Rows ingested per table per hour", "rows_ingested", "event_time", "rows_ingested", "table", "PT1H")
    by_reason = _chart("Failures by reason", "failures", "reason", "failed_records", "status", None)
    files = {
        "metadata.yaml": {"version": VERSION, "type": "Dashboard", "timestamp": "2025-01-01T00:00:00+00:00"},
        "databases/clickhouse.yaml": _database(clickhouse, f"clickhousedb://{sources.clickhouse_user}:"
                                                           f"<CLICKHOUSE_PASSWORD>@{sources.clickhouse}/{sources.clickhouse_db}"),
        "databases/failure_db.yaml": _database(failure_db, f"postgresql+psycopg2://{sources.failure_db_user}:"
                                                           f"<FAILURE_DB_PASSWORD>@{sources.postgres}/{sources.failure_db_name}"),
        "datasets/clickhouse/rows_ingested.yaml": rows,
        "datasets/failure_db/failures.yaml": failures,
        "charts/rows_ingested_per_hour.yaml": per_hour,
        "charts/failures_by_reason.yaml": by_reason,
        "dashboards/spotlight.yaml": _dashboard("Spotlight", [per_hour, by_reason]),
    }
    return {f"{ROOT}/{path}": _yaml(document) for path, document in files.items()}

"""The pages a steward reads: overview, the filtered list, one record, its raw bytes, reconcile."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from spotlight_nifi import failures
from spotlight_nifi.clickhouse import connect as clickhouse_connect
from spotlight_nifi.errors import ConfigError
from spotlight_nifi.failures.query import SORTS, STATUS_FILTERS, Cursor, filters_from
from spotlight_nifi.web.chart import daily_chart
from spotlight_nifi.web.resources import resources

blueprint = Blueprint("pages", __name__)
PAGE_SIZE = 50
COUNT_CAP = 10_000
CHART_DAYS = 14


@blueprint.get("/")
def overview() -> str:
    with resources().connection() as conn:
        data = failures.overview(conn, days=CHART_DAYS)
        classes = failures.reason_classes(conn)
    return render_template("overview.html", data=data, days=CHART_DAYS,
                           chart=daily_chart(data.days, data.since, CHART_DAYS, classes))


@blueprint.get("/failures")
def failure_list() -> str:
    filters = filters_from(request.args)
    sort = request.args.get("sort") or "newest"
    after, before = (Cursor.parse(request.args[name], sort) if request.args.get(name) else None
                     for name in ("after", "before"))
    with resources().connection() as conn:
        found = failures.page(conn, filters, sort, after=after, before=before, last=bool(request.args.get("last")),
                              limit=PAGE_SIZE)
        matching = failures.count(conn, filters, COUNT_CAP)
        classes = failures.reason_classes(conn)
    return render_template("list.html", page=found, filters=filters, sort=sort, matching=matching, cap=COUNT_CAP,
                           sorts=SORTS, statuses=STATUS_FILTERS, classes=classes, selection_limit=COUNT_CAP)


@blueprint.get("/failures/<int:record_id>")
def record(record_id: int) -> str:
    with resources().connection() as conn:
        row = failures.get_failure(conn, record_id)
        tries = failures.attempts(conn, record_id)
        actions = failures.history(conn, record_id)
    key = None if row.key is None else failures.payload_text(row.key)[0]
    return render_template("record.html", row=row, view=failures.payload_view(row.payload), key=key,
                           attempts=tries, actions=actions)


@blueprint.get("/failures/<int:record_id>/raw")
def raw(record_id: int) -> Response:
    """The payload's exact bytes as a download, never as a page the browser could render."""
    with resources().connection() as conn:
        row = failures.get_failure(conn, record_id)
    return Response(row.payload, mimetype="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="failure-{record_id}.bin"'})


@blueprint.get("/reconcile")
def reconcile() -> str:
    """The `spotlight-nifi reconcile` report for the topic in the form, when one is given."""
    topic = (request.args.get("topic") or "").strip()
    report = None
    if topic:
        config = resources().config
        if not config.kafka_bootstrap or not config.clickhouse_url:
            missing = "KAFKA_BOOTSTRAP_SERVERS" if not config.kafka_bootstrap else "CLICKHOUSE_URL"
            raise ConfigError(missing, f"`{missing}` is not set where the page runs: reconcile needs it")
        since = filters_from({"since": request.args.get("since", "")}).since
        clickhouse = clickhouse_connect(config.clickhouse_url)
        try:
            with resources().connection() as conn:
                report = failures.reconcile(topic, kafka={"bootstrap.servers": config.kafka_bootstrap},
                                            clickhouse=clickhouse, failure_db=conn, since=since,
                                            table=(request.args.get("table") or "").strip() or None,
                                            group=(request.args.get("group") or "").strip() or None)
        finally:
            clickhouse.close()
    return render_template("reconcile.html", report=report, args=request.args)

"""What a steward does: replay, resolve or ignore one record or a selection, and export.

Each action is a POST (the CSRF token is checked before it runs, in `auth`), answered with a
redirect back to the page it came from and a one-line message of what was done and skipped.
"""

from __future__ import annotations

from datetime import datetime, timezone

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    request,
    session,
    stream_with_context,
    url_for,
)

from spotlight_nifi import failures
from spotlight_nifi.failures.export import MEDIA_TYPES
from spotlight_nifi.failures.query import filters_from
from spotlight_nifi.web.auth import local_path
from spotlight_nifi.web.resources import resources

blueprint = Blueprint("actions", __name__)
SELECTION_LIMIT = 10_000
"""At most this many records per action on a filtered selection (oldest first); run it again for more."""
_PAST = {"replay": "replayed", "resolve": "resolved", "ignore": "ignored"}
_SHOWN = 5


def _message(outcome: failures.Outcome) -> str:
    text = f"{_PAST[outcome.decision]} {len(outcome.done)} record(s)"
    if outcome.skipped:
        reasons = "; ".join(f"{i}: {why}" for i, why in list(outcome.skipped.items())[:_SHOWN])
        more = f" and {len(outcome.skipped) - _SHOWN} more" if len(outcome.skipped) > _SHOWN else ""
        text += f"; skipped {len(outcome.skipped)} ({reasons}{more})"
    return text


def _decide(record_ids: list[int]) -> None:
    with resources().connection() as conn:
        outcome = failures.decide(conn, record_ids, request.form.get("action", ""), session["user"],
                                  request.form.get("note"), resources().producer(), resources().config.http_ingress)
    flash(_message(outcome), "ok" if outcome.done else "warning")


@blueprint.post("/failures/<int:record_id>/decide")
def decide_one(record_id: int) -> Response:
    _decide([record_id])
    return redirect(url_for("pages.record", record_id=record_id))


@blueprint.post("/failures/decide")
def decide_selection() -> Response:
    """The checked records, or every record matching the list's filters (up to SELECTION_LIMIT)."""
    if request.form.get("scope") == "matching":
        with resources().connection() as conn:
            ids = failures.matching_ids(conn, filters_from(request.form), SELECTION_LIMIT)
    else:
        ids = [int(value) for value in request.form.getlist("id") if value.isdigit()]
    if ids:
        _decide(ids)
    else:
        flash("nothing selected: check some records, or choose all records matching the filters", "warning")
    return redirect(local_path(request.form.get("next")))


@blueprint.post("/failures/export")
def export() -> Response:
    """Every record matching the filters, streamed as a download."""
    fmt = request.form.get("format", "jsonl")
    chunks = failures.export(resources().config.dsn, filters_from(request.form), fmt, session["user"])
    name = f"failures-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.{fmt}"
    return Response(stream_with_context(chunks), content_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})

"""Replay to a flow's HTTP ingress: records of POSTed batches go back the way they came.

A record of an HTTP batch (topic `http:<batch>`) has no Kafka topic to return to. Its raw bytes
are POSTed again, as JSON Lines, to the flow's ingress (ListenHTTP), under a new `Spotlight-Batch`
name: a replay is new data to the flow, not a re-send of the original batch (whose name would let
the insert skip it as already seen). Only an answer of 200 (NiFi stored the batch) marks the records
`replayed`; each gets an audit row naming the URL and the new batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import urllib3

from spotlight_nifi.failures import audit
from spotlight_nifi.failures.db import Db, transaction
from spotlight_nifi.failures.errors import FailureRecordError
from spotlight_nifi.failures.replay import REPLAYABLE, locked_replayable
from spotlight_nifi.failures.store import Failure
from spotlight_nifi.ingest.batch import HTTP_BATCH, HTTP_TOPIC_PREFIX


def not_replayable_over_http(row: Failure) -> str | None:
    """Why `row` cannot be POSTed to an HTTP ingress again, None when it can."""
    if row.status not in REPLAYABLE:
        return f"is `{row.status}`: only new or replayed records are replayed"
    if row.topic is None or not row.topic.startswith(HTTP_TOPIC_PREFIX):
        return f"came from Kafka topic `{row.topic}`, not an HTTP batch: replay it to Kafka"
    if b"\n" in row.payload:
        return "holds a line break, so it is not one line of JSON Lines: it cannot be POSTed as one record"
    return None


def replay_http(db: Db, record_ids: Sequence[int], url: str, *, by: str | None = None, note: str | None = None,
                timeout: float = 60.0) -> list[Failure]:
    """POST the records to `url` in one new batch; mark them `replayed` once NiFi answers 200."""
    wanted = sorted(set(record_ids))
    batch = f"replay-{uuid.uuid4().hex}"
    with transaction(db) as conn:
        rows = locked_replayable(conn, wanted, not_replayable_over_http)
        body = b"".join(row.payload + b"\n" for row in rows)
        http = urllib3.PoolManager(retries=urllib3.Retry(total=3, backoff_factor=0.5), timeout=timeout)
        try:
            status = http.request("POST", url, body=body, headers={HTTP_BATCH: batch}).status
        except urllib3.exceptions.HTTPError as error:
            raise FailureRecordError(wanted[0], f"the HTTP ingress `{url}` did not answer ({error}): the records "
                                                "keep their status; replay them again") from error
        if status != 200:
            raise FailureRecordError(wanted[0], f"the HTTP ingress `{url}` answered HTTP {status}: the records "
                                                "keep their status; replay them again")
        conn.execute("UPDATE failures SET status = 'replayed' WHERE id = ANY(%s)", (wanted,))
        audit.log(conn, wanted, "replay", by, note, {"to_url": url, "batch": batch})
    return [Failure(**{**vars(row), "status": "replayed"}) for row in rows]

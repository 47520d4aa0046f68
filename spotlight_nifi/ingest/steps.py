"""What each NiFi processor does to one FlowFile, without NiFi: bytes and attributes in, one outcome out.

The processors in `processors/spotlight_processors` only read their properties and call these, so
the whole behaviour is tested here against the real ClickHouse engine. A step never raises for
bad data or an unavailable ClickHouse: it returns a `failure` outcome whose attributes carry the
reason, so AnnotateFailure can say why.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote, urlsplit, urlunsplit

from spotlight_nifi.cast import Caster, SourcedCaster, compile_caster
from spotlight_nifi.clickhouse import ClickHouse, connect
from spotlight_nifi.clickhouse.interface import JSONRows
from spotlight_nifi.clickhouse.tables import prepare_table, table_columns
from spotlight_nifi.errors import ConfigError, RecordCastError, SchemaEvolutionError, SpotlightError
from spotlight_nifi.infer.types import Column
from spotlight_nifi.ingest import envelope, failure_record
from spotlight_nifi.ingest.batch import HTTP_BATCH, Item, Source, cast_item, gc_paused, read_head, read_line, sample
from spotlight_nifi.ingest.typed import typed_reader
from spotlight_nifi.processor_specs import CAST, INSERT

SchemaMode = Literal["create", "evolve", "reject"]
_MODES: dict[str | None, SchemaMode] = {"create": "create", "evolve": "evolve", "reject": "reject"}


@dataclass(frozen=True)
class Outcome:
    """One FlowFileTransformResult: the relationship, new content (None keeps it; a bytearray is
    handed over as it is, never copied), attributes."""

    relationship: Literal["success", "failure"]
    contents: bytes | bytearray | None = None
    attributes: dict[str, str] = field(default_factory=dict)


def failed(processor: str, reason: str) -> Outcome:
    """The FlowFile goes to `failure` unchanged, with the reason AnnotateFailure records."""
    return Outcome("failure", None, {envelope.FAILURE_REASON: reason, envelope.FAILURE_PROCESSOR: processor})


def required(values: Mapping[str, str | None], name: str) -> str:
    """A property that must have a value."""
    value = values.get(name)
    if not value:
        raise ConfigError(name, f"property `{name}` has no value: set it on the processor")
    return value


def schema_mode(text: str | None) -> SchemaMode:
    if text not in _MODES:
        raise ConfigError("Schema Mode", f"property `Schema Mode` must be one of create, evolve, reject, not `{text}`")
    return _MODES[text]


def positive_int(name: str, text: str | None) -> int:
    """A property that must be a positive integer."""
    try:
        value = int(text or "")
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigError(name, f"property `{name}` must be a positive integer, not `{text}`")
    return value


def clickhouse_url(url: str, user: str | None, password: str | None) -> str:
    """`url` with the user and password in it (server URLs only; chdb has no users)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not (user or password) or parts.username:
        return url
    host = parts.netloc
    credentials = quote(user or "default", safe="") + (":" + quote(password, safe="") if password else "")
    return urlunsplit((parts.scheme, f"{credentials}@{host}", parts.path, parts.query, parts.fragment))


class Connections:
    """One ClickHouse connection per URL for the processor's life (chdb allows one per process)."""

    def __init__(self) -> None:
        self._open: dict[str, ClickHouse] = {}

    def get(self, url: str) -> ClickHouse:
        if url not in self._open:
            self._open[url] = connect(url)
        return self._open[url]

    def for_properties(self, props: Mapping[str, str | None]) -> ClickHouse:
        """The connection a processor's ClickHouse URL, User and Password properties name."""
        return self.get(clickhouse_url(required(props, "ClickHouse URL"), props["ClickHouse User"],
                                       props["ClickHouse Password"]))

    def close(self) -> None:
        for db in self._open.values():
            db.close()
        self._open.clear()


def _columns(db: ClickHouse, table: str, items: Sequence[Item], mode: SchemaMode,
             cluster: str | None) -> list[Column] | None:
    """The table's columns after creating or evolving it as `mode` allows; None when it is missing.

    A table created from records that all know their Kafka coordinates (ConsumeKafka's wrapper
    records, one message per FlowFile, or an HTTP batch with a `Spotlight-Batch` header) keeps them
    in coordinate columns, so `spotlight-nifi reconcile` can check it. Evolution never adds them:
    the rows already stored would read as coming from partition 0, offset 0."""
    coordinates = bool(items) and all(item.source.located for item in items)
    return prepare_table(db, table, [item.record for item in items], create=mode != "reject",
                         evolve=mode == "evolve", kafka_coordinates=coordinates, cluster=cluster).columns


Head = tuple[list[Item], Iterator[tuple[bytes, Source]], "list[Column] | None"]


def _head_and_columns(db: ClickHouse, content: bytes, attributes: Mapping[str, str], table: str, mode: SchemaMode,
                      sample_size: int, lenient: bool, cluster: str | None) -> Head:
    """The records read to prepare the table, the lines left, and the table's columns. Only a table to
    create or evolve needs samples: an existing one in `create` or `reject` mode is read from none."""
    existing = table_columns(db, table) if mode != "evolve" else None
    size = 0 if existing is not None else sample_size
    head, rest = read_head(content, size, lenient=lenient, attributes=attributes)
    if existing is not None:
        return head, rest, existing
    return head, rest, _columns(db, table, sample(head, sample_size), mode, cluster)


def cast_flowfile(db: ClickHouse, content: bytes, attributes: Mapping[str, str], *, table: str,
                  mode: SchemaMode = "reject", sample_size: int = 1000, lenient: bool = True,
                  cluster: str | None = None) -> Outcome:
    """CastToClickHouse: every record read leaves in the envelope FlowFile, fitting or with its reason.
    A table it creates or evolves on a server's `cluster` is replicated behind a Distributed one."""
    with gc_paused():
        try:
            head, rest, columns = _head_and_columns(db, content, attributes, table, mode, sample_size, lenient,
                                                    cluster)
            if columns is None:
                why = "Schema Mode is `reject`" if mode == "reject" else "no record to infer its columns from"
                return failed(CAST.type, f"table `{table}` does not exist and {why}")
            caster = compile_caster(columns)
        except ValueError as error:
            return failed(CAST.type, f"table `{table}`: {error}")
        except SpotlightError as error:
            return failed(CAST.type, str(error))
        writer = cast_records(head, rest, caster, lenient=lenient)
        return Outcome("success", writer.content(), {**writer.counts(), envelope.TABLE: table,
                                                     envelope.COLUMNS: envelope.columns_id(columns)})


def cast_records(items: Iterable[Item], lines: Iterable[tuple[bytes, Source]], caster: Caster, *,
                 lenient: bool = True) -> envelope.Writer:
    """The envelope of records already read (`items`) and of raw lines: each line takes the typed fast
    path when it can (`typed.TypedReader`, its fields in the order of the first line's record), else
    is read and cast one by one as before, as are the first two lines (to tell the order)."""
    writer = envelope.Writer()
    for item in items:
        writer.add(*cast_item(item, caster))
    lines = iter(lines)
    first = [read_line(line, source, lenient=lenient) for line, source in itertools.islice(lines, 2)]
    for item in first:
        writer.add(*cast_item(item, caster))
    fast = typed_reader(caster, *(item.record for item in first)) if first else None
    for line, source in lines:
        done = None if fast is None else fast.line(line, source)
        if done is None:
            writer.add(*cast_item(read_line(line, source, lenient=lenient), caster))
        else:
            writer.fits(done)
    return writer


def batch_token(attributes: Mapping[str, str], table: str, start: int, stop: int) -> str | None:
    """The deduplication token of envelope lines `start:stop` of this FlowFile into `table`.

    NiFi retries a FlowFile with its `uuid` and content unchanged, so a retry after batches 1-2 went
    in sends them with the same tokens and ClickHouse skips them; another FlowFile with the same
    rows has another uuid and is inserted. A batch POSTed over HTTP is named by its producer
    (`Spotlight-Batch`) instead: re-sent after a lost answer it is a new FlowFile, yet the same
    batch. The token names the line range, not the batch number, so a Batch Size changed between
    retries gives new tokens (rows again, never rows lost). None without either identity.
    """
    batch = attributes.get(HTTP_BATCH)
    identity = f"batch:{batch}" if batch else attributes.get(envelope.FLOWFILE_UUID)
    return f"spotlight:{identity}:{table}:{start}-{stop}" if identity else None


Batches = Iterator["JSONRows | list[tuple[Any, ...]]"]


def _rows_as_cast(db: ClickHouse, table: str, content: bytes, attributes: Mapping[str, str],
                  batch_size: int) -> tuple[list[str], Batches] | None:
    """The column names and the rows CastToClickHouse cast, read a batch at a time, while the table
    still has the columns they were cast for; None otherwise, to cast the lines again."""
    if envelope.COLUMNS not in attributes:
        return None
    try:
        columns = table_columns(db, table)
    except SpotlightError:
        return None
    if columns is None or attributes[envelope.COLUMNS] != envelope.columns_id(columns):
        return None
    return [c.name for c in columns], (JSONRows(*batch) for batch in envelope.row_batches(content, batch_size))


def _rows(caster: Caster, lines: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The rows of envelope lines that fit; only a table with Kafka coordinate columns reads their sources."""
    if isinstance(caster, SourcedCaster):
        return [caster.cast_from(line["value"], Source.from_json(line["source"])) for line in lines]
    return [caster.cast(line["value"]) for line in lines]


def insert_flowfile(db: ClickHouse, content: bytes, attributes: Mapping[str, str] | None = None, *, table: str,
                    batch_size: int = 10000) -> Outcome:
    """InsertClickHouse: insert the envelope lines that fit: their rows as cast while the table has the
    columns CastToClickHouse cast them for, else the lines cast again against the table as it is now.

    Each batch carries `batch_token`, so retrying the FlowFile never inserts a batch twice in a
    table with a deduplication window (every table `spotlight-nifi` creates). A table created
    otherwise, without `non_replicated_deduplication_window`, ignores the token: inserts succeed
    and a retry duplicates the batches that went in before the failure; to fix, run
    `ALTER TABLE ... MODIFY SETTING non_replicated_deduplication_window = 10000`.
    """
    attributes = attributes or {}
    with gc_paused():
        as_cast = _rows_as_cast(db, table, content, attributes, batch_size)
        try:
            lines = envelope.fitting(content) if as_cast is None else []
        except ValueError as error:
            return failed(INSERT.type, f"not a CastToClickHouse `success` FlowFile: {error}")
        try:
            count = _insert(db, table, attributes, *(as_cast or _cast_again(db, table, lines, batch_size)))
        except RecordCastError as error:
            return failed(INSERT.type, f"table `{table}` changed since the cast: {error.reason}")
        except ValueError as error:
            return failed(INSERT.type, f"table `{table}`: {error}")
        except SpotlightError as error:
            return failed(INSERT.type, str(error))
        return Outcome("success", None, {envelope.INSERTED: str(count), envelope.TABLE: table})


def _insert(db: ClickHouse, table: str, attributes: Mapping[str, str], names: list[str], batches: Batches) -> int:
    """Insert each batch with its token; returns how many rows went in."""
    start = 0
    for batch in batches:
        db.insert(table, names, batch, batch_token(attributes, table, start, start + len(batch)))
        start += len(batch)
    return start


def _cast_again(db: ClickHouse, table: str, lines: Sequence[dict[str, Any]],
                batch_size: int) -> tuple[list[str], Batches]:
    """The fitting lines cast against the table as it is now, `batch_size` rows at a time."""
    columns = table_columns(db, table)
    if columns is None:
        raise SchemaEvolutionError(table, "*", "table does not exist")
    rows = _rows(compile_caster(columns), lines)
    return [c.name for c in columns], (rows[start:start + batch_size] for start in range(0, len(rows), batch_size))


def annotate_flowfile(content: bytes, attributes: Mapping[str, str], *, flow: str) -> Outcome:
    """AnnotateFailure: the failure-DB records (JSON Lines) for whatever failed upstream."""
    records = failure_record.failure_records(content, attributes, flow=flow)
    return Outcome("success", failure_record.encode(records),
                   {"record.count": str(len(records)), "mime.type": envelope.MIME_TYPE})

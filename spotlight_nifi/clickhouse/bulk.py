"""`spotlight-nifi load` of a JSON Lines file at the engine's speed: ClickHouse reads every line and
stores those it proves fit (`fit`); the caster explains only the lines it doubts.

The table is planned from the first `SAMPLE` lines: created from their records, or evolved with
`--evolve`, as `tables.load` does with all records, so a file no longer than that loads exactly as
there. Records further on that do not fit (a new field, a wider number) evolve the table once
more, the unattended way, when it is new or `--evolve` is given: step by step, a step ClickHouse
refuses is listed as refused; then every misfit is cast again against the table as it is, and
what still does not fit is rejected with the caster's reason. Without `--skip-invalid`, a line
that is not a JSON object stops the load before anything is created, altered or inserted.
Python holds the sample and the doubted lines, never the file: the engine streams it.
A JSON array file, a backend that cannot read the file itself (a server), or columns `fit` cannot
prove go through `tables.load` unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from spotlight_nifi.cast import compile_caster
from spotlight_nifi.clickhouse.fit import SETTINGS, Fit, compile_fit
from spotlight_nifi.clickhouse.interface import ClickHouse, insert_token
from spotlight_nifi.clickhouse.tables import (
    LoadSummary,
    execute_ddl,
    load,
    migration_plan,
    table_columns,
    write_rejects,
)
from spotlight_nifi.errors import ClickHouseError, RecordCastError, SchemaEvolutionError
from spotlight_nifi.infer import Options, infer_table
from spotlight_nifi.infer.evolve import Plan
from spotlight_nifi.infer.names import literal, quote
from spotlight_nifi.infer.reader import Records, add_line, no_records, read_file
from spotlight_nifi.infer.types import Column

SAMPLE = 2_000
"""Lines the table is planned from (created, or evolved with `--evolve`)."""
_READ = f"SETTINGS {SETTINGS}, storage_file_read_method = 'pread'"
"""For every query reading the file: `fit`'s settings, and the file read in blocks, not mapped (a
mapped file counts whole in the process's memory)."""
CASTER_DOUBTS = 10_000
"""Up to this many lines the fast pass could not prove go straight to the caster, which is quicker
for a few than the engine's Dynamic reading (`fit.slow`) of them."""


@runtime_checkable
class ReadsFiles(Protocol):
    """A backend that reads a local file itself (the embedded engine)."""

    def file_lines(self, path: Path) -> str | None: ...


@dataclass
class _Planned:
    """The table as the sample plans it, before anything is changed."""

    columns: list[Column]
    statements: list[str] = field(default_factory=list)
    created: bool = False
    plan: Plan | None = None


def load_file(db: ClickHouse, table: str, path: Path, rejects: Path, *, evolve: bool = False,
              options: Options = Options(), storage_policy: str | None = None, skip_invalid: bool = False,
              cluster: str | None = None) -> LoadSummary:
    """Load a JSON Lines or JSON array file into `table`; misfits go to `rejects` (see `tables.load`).
    A `cluster` is a server's, so it only reaches `tables.load`: the embedded engine has none."""
    prepared = _prepare(db, table, path, evolve, options, storage_policy, skip_invalid)
    if prepared is None:
        return load(db, table, read_file(path, skip_invalid=skip_invalid), rejects, evolve=evolve, options=options,
                    storage_policy=storage_policy, cluster=cluster)
    lines, planned, fit, sampled = prepared
    if not skip_invalid:
        _refuse_invalid(db, lines, str(path))
    for statement in planned.statements:
        execute_ddl(db, statement)
    before = _count(db, table)
    doubts = _insert_fits(db, table, planned.columns, lines, fit)
    fits = _count(db, table) - before
    doubted = Records(str(path))
    for number, raw in doubts:
        add_line(doubted, raw, number, skip_invalid)
    if not fits and not doubted.records:
        raise no_records(str(path), bool(doubted.invalid))
    columns, plan, failed, rows = _explain(db, table, planned, doubted, sampled, evolve, options)
    if rows:
        db.insert(table, [c.name for c in columns], rows)
    write_rejects(rejects, failed)
    return LoadSummary(read=fits + len(doubted.records) + len(doubted.invalid), loaded=fits + len(rows),
                       rejected=len(failed), created=planned.created, plan=plan)


def _prepare(db: ClickHouse, table: str, path: Path, evolve: bool, options: Options, storage_policy: str | None,
             skip_invalid: bool) -> tuple[str, _Planned, Fit, int] | None:
    """The file as the engine's table of lines, the planned table, the SQL proving lines fit it and
    the last line of the sample; None when the engine cannot take the load (`tables.load` does)."""
    lines = db.file_lines(path) if isinstance(db, ReadsFiles) and not _json_array(path) else None
    if lines is None:
        return None
    existing = table_columns(db, table)
    sample = _head(path, skip_invalid) if existing is None or evolve else ([], 0)
    if sample is None:
        return None
    planned = _plan(table, existing, sample[0], evolve, options, storage_policy)
    fit = compile_fit(planned.columns)
    return None if fit is None else (lines, planned, fit, sample[1])


def _json_array(path: Path) -> bool:
    """Whether the file holds one JSON array (or cannot be read: `tables.load` says why)."""
    try:
        with path.open("rb") as file:
            while chunk := file.read(65536):
                text = chunk.lstrip()
                if text:
                    return text[:1] == b"["
    except OSError:
        return True
    return False


def _head(path: Path, skip_invalid: bool) -> tuple[list[dict[str, Any]], int] | None:
    """The records of the first `SAMPLE` lines and the last line read; None when they hold none."""
    head = Records(str(path))
    number = 0
    with path.open("rb") as file:
        for number, line in enumerate(file, start=1):
            add_line(head, line[:-1] if line.endswith(b"\n") else line, number, skip_invalid)
            if number >= SAMPLE:
                break
    return (head.records, number) if head.records else None


def _refuse_invalid(db: ClickHouse, lines: str, source: str) -> None:
    """InputDataError for the first line that is not a JSON object, before anything is changed: the
    engine points at the lines simdjson does not take for one, the reader decides. This is a read of
    the file of its own (about a tenth of a load): the pass that stores rows cannot take them back."""
    suspects = db.query(f"SELECT groupArray((_n, hex(line))) FROM (SELECT _row_number + 1 AS _n, line FROM {lines}) "
                        f"WHERE line != '' AND NOT (startsWith(line, '{{') AND isValidJSON(line)) {_READ}")
    checked = Records(source)
    for number, text in sorted(suspects[0][0]):
        add_line(checked, bytes.fromhex(text), int(number), False)


def _count(db: ClickHouse, table: str) -> int:
    return int(db.query(f"SELECT count() FROM {quote(table)}")[0][0])


def _insert_fits(db: ClickHouse, table: str, columns: Sequence[Column], lines: str, fit: Fit) -> list[tuple[int, bytes]]:
    """Insert the lines that surely fit; the others (line, raw) for the caster.

    One pass proves the lines `fit.fast` can and fans out through two materialized views: the rows
    to `table`, the other lines (with their numbers) to a scratch table, so the file is read once.
    When there are more than `CASTER_DOUBTS` of those, a second pass over the scratch table proves
    what `fit.slow` can."""
    tag = uuid.uuid4().hex[:12]
    scratch = f"_spotlight_load_{tag}_doubts"
    source, doubts = quote(f"_spotlight_load_{tag}"), quote(scratch)
    views = [quote(f"_spotlight_load_{tag}_{name}") for name in ("rows_view", "doubts_view")]
    names = [quote(c.name) for c in columns]
    fast, slow = fit.fast, fit.slow
    read = f"SELECT _row_number + 1 AS _n, line, {', '.join(fast.extract)} FROM {lines}"
    values = ", ".join(f"{value} AS _v{i}" for i, value in enumerate(fast.values))
    scan = f"SELECT _n, line, line = '' AS _blank, ({fast.ok}) AS _fast, {values} FROM ({read})"
    try:
        db.command(f"CREATE TABLE {source} ENGINE = Null AS {scan} LIMIT 0 {_READ}")
        db.command(f"CREATE TABLE {doubts} (_n UInt64, line String) ENGINE = Memory")
        db.command(f"CREATE MATERIALIZED VIEW {views[0]} TO {quote(table)} AS SELECT "
                   f"{', '.join(f'_v{i} AS {name}' for i, name in enumerate(names))} FROM {source} WHERE _fast")
        db.command(f"CREATE MATERIALIZED VIEW {views[1]} TO {doubts} AS SELECT _n, line FROM {source} "
                   "WHERE NOT _fast AND NOT _blank")
        db.command(f"INSERT INTO {source} {scan} {_READ}, parallel_view_processing = 1, "
                   f"insert_deduplication_token = {literal(insert_token(None))}")
        chosen = f"SELECT _n, line FROM {doubts}"
        if _count(db, scratch) <= CASTER_DOUBTS:
            return _lines(db.query(f"SELECT groupArray((_n, hex(line))) FROM ({chosen}) {_READ}")[0][0])
        doubted = f"SELECT _n, line, {', '.join(slow.extract)}, ({slow.ok}) AS _ok FROM ({chosen})"
        left, proven = db.query(f"SELECT groupArrayIf((_n, hex(line)), NOT _ok), countIf(_ok) FROM ({doubted}) {_READ}")[0]
        if proven:
            db.command(f"INSERT INTO {quote(table)} ({', '.join(names)}) SELECT {', '.join(slow.values)} FROM ({doubted}) "
                       f"WHERE _ok {_READ}, insert_deduplication_token = {literal(insert_token(None))}")
    finally:
        for name in (*views, doubts, source):
            db.command(f"DROP TABLE IF EXISTS {name}")
    return _lines(left)


def _lines(found: Sequence[tuple[int, str]]) -> list[tuple[int, bytes]]:
    """(line, raw) from the engine's (line, hex), in line order."""
    return sorted((int(number), bytes.fromhex(text)) for number, text in found)


def _plan(table: str, columns: list[Column] | None, sample: Sequence[dict[str, Any]], evolve: bool, options: Options,
          storage_policy: str | None) -> _Planned:
    """What `tables.prepare_table` would do with the sample, as statements not yet run."""
    if columns is None:
        inferred = infer_table(sample, table, options, storage_policy=storage_policy)
        return _Planned(inferred.columns, [inferred.create_sql], created=True)
    if not evolve:
        return _Planned(columns)
    migration = migration_plan(table, columns, sample, options).unattended(columns)
    statements = [statement for step in migration.steps for statement in step.statements]
    return _Planned(migration.columns_after(columns), statements, plan=migration)


def _explain(db: ClickHouse, table: str, planned: _Planned, doubted: Records, sampled: int, evolve: bool,
             options: Options) -> tuple[list[Column], Plan | None, list[tuple[int, str, bytes]], list[tuple[Any, ...]]]:
    """Cast the doubted records: the table's final columns and plan, the misfits (with invalid
    lines) and the rows that fit. Misfits beyond the sample (line `sampled`) evolve the table when
    it is new or `--evolve` is given, and are cast again."""
    columns, plan = planned.columns, planned.plan
    cast = _cast(table, columns, doubted)
    later = [record for number, record, _ in cast[0] if number > sampled]
    if later and (evolve or planned.created):
        migration = _evolve(db, table, columns, later, options)
        columns = table_columns(db, table) or columns
        plan = migration if plan is None else Plan(table, plan.steps + migration.steps, plan.refused + migration.refused)
        cast = _cast(table, columns, doubted)
    misfits, rows = cast
    failed = [(number, reason, raw) for number, _, (reason, raw) in misfits] + list(doubted.invalid)
    return columns, plan, failed, rows


def _evolve(db: ClickHouse, table: str, columns: list[Column], records: Sequence[dict[str, Any]], options: Options) -> Plan:
    """The unattended plan for `records`, applied step by step once rows are in: a step ClickHouse
    refuses (a sort key column made Nullable) is refused, not fatal, and the records needing it are
    rejected with the caster's reason against the table as it is."""
    migration = migration_plan(table, columns, records, options).unattended(columns)
    applied = Plan(table, refused=list(migration.refused))
    for step in migration.steps:
        try:
            for statement in step.statements:
                db.command(statement)
        except ClickHouseError as error:
            if step.column is None:
                raise
            applied.refused.append((step.column, str(error)))
            continue
        applied.steps.append(step)
    return applied


Misfit = tuple[int, dict[str, Any], tuple[str, bytes]]
"""A record that does not fit: its line, the record, and (reason, raw line)."""


def _cast(table: str, columns: list[Column], doubted: Records) -> tuple[list[Misfit], list[tuple[Any, ...]]]:
    """The misfits and the rows of the records that fit."""
    try:
        caster = compile_caster(columns)
    except ValueError as error:
        raise SchemaEvolutionError(table, "*", str(error)) from None
    misfits: list[Misfit] = []
    rows: list[tuple[Any, ...]] = []
    for number, record, raw in zip(doubted.lines, doubted.records, doubted.raw):
        try:
            rows.append(caster.cast(record))
        except RecordCastError as error:
            misfits.append((number, record, (error.reason, raw)))
    return misfits, rows

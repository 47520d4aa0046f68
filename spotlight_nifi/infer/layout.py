"""The table layout for a record stream: one column per leaf, or typed columns plus a JSON column.

Rules (pure; `infer --explain` prints the decision with these numbers):
- Flat, one typed column per leaf path, while that table has at most `FLAT_MAX_COLUMNS` columns
  and their DDL fits `DDL_BUDGET`: every field gets its own tight type.
- Otherwise the stream is heterogeneous (many event types, each with its own sparse subtree), and
  flattening it would give thousands of mostly-NULL columns and a CREATE TABLE ClickHouse refuses.
  Then typed columns only for the leaves that are dense and stable: a value in at least
  `DENSE_SHARE` of the records, one kind (not JSON text), a path of at most `MAX_PATH_CHARS` (the
  column comment repeats it); at most `MAX_TYPED_COLUMNS`, densest first. Everything else goes to
  one JSON column at the record's root (`JSON_COLUMN`), which also takes paths never seen: a new
  event type needs no migration.
- In a JSON column, a typed path hint (a typed subcolumn: queries need no cast) for each path with
  one scalar kind and plain keys (`MAX_PATH_CHARS` at most) seen in at least `HINT_MIN_RECORDS`
  records; at most `MAX_HINTS`, densest first, typed one step wider than the samples (`HINT_TYPES`:
  a hint refuses what does not fit it, so it must not be tight). `max_dynamic_paths` is twice the
  other paths seen, rounded up to a power of two within `DYNAMIC_PATHS`: each is its own subcolumn;
  past the bound, paths share one structure instead of adding files to every part.
- Overrides (`Options`): `flatten` keeps one column per leaf whatever the size (the DDL is then run
  with `max_query_size` raised); `json_columns` keeps each named subtree whole in a JSON column of
  its own, in either layout; `types` forces the type of a path's column, or of its hint inside a
  JSON column (hints are always Nullable: an absent path reads NULL).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import orjson

from spotlight_nifi.infer import ddl
from spotlight_nifi.infer.infer import Leaf, Options
from spotlight_nifi.infer.names import column_names
from spotlight_nifi.infer.types import (
    PLAIN_KEY,
    CHType,
    Column,
    JSONType,
    nullable,
    parse_type,
    t,
)

FLAT_MAX_COLUMNS = 1000
"""ClickHouse handles wide tables well up to about a thousand columns; past that, every insert
writes that many column streams per part, mostly NULL here."""
MAX_QUERY_SIZE = 262_144
"""ClickHouse's default `max_query_size`: a longer statement is refused before it is parsed."""
DDL_BUDGET = 196_608
"""Three quarters of `MAX_QUERY_SIZE`, so a CREATE TABLE fits with room for the table comment."""
DENSE_SHARE = 0.3
MAX_TYPED_COLUMNS = 256
MAX_PATH_CHARS = 256
JSON_COLUMN = "json"
HINT_MIN_RECORDS = 10
MAX_HINTS = 256
DYNAMIC_PATHS = (16, 256)
"""Bounds of `max_dynamic_paths`. Each dynamic path is several files in a Wide part (a stream per
type it holds), and an array of objects nests a JSON of a quarter of the bound: at ClickHouse's
default of 1024 a Wide part of the bench's 190-event-type stream needed over 20,000 files (past the
open-file limit of a merge); at 256 it keeps about 4,000 and the same bytes per row."""
HINT_TYPES = {**{name: "Int64" for name in ("UInt8", "Int8", "UInt16", "Int16", "UInt32", "Int32", "Int64")},
              "UInt64": "UInt64", "Float64": "Float64", "Bool": "Bool", "String": "String", "UUID": "String",
              "IPv4": "String", "IPv6": "String", "Date": "Date32", "Date32": "Date32",
              "DateTime64": "DateTime64(6, 'UTC')"}
"""The hint for a leaf's type (by its name, under Nullable / LowCardinality): the widest of its
kind the caster checks exactly. Types not here (arrays, Decimal, 128-bit integers) get no hint."""


@dataclass(frozen=True)
class Layout:
    """The columns chosen, which layout they are, and the explanation `--explain` prints."""

    kind: Literal["flat", "hybrid"]
    columns: list[Column]
    notes: list[str] = field(default_factory=list)


def is_json(column: Column) -> bool:
    return isinstance(column.type, JSONType)


def parse_path(text: str) -> tuple[str, ...]:
    """A path as the CLI takes it: `a.b.c`, or a JSON array of keys for keys with dots."""
    if text.startswith("["):
        keys = orjson.loads(text)
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise ValueError(f"path {text!r} is not a JSON array of keys")
        return tuple(keys)
    return tuple(text.split("."))


def parse_type_override(text: str) -> tuple[tuple[str, ...], CHType]:
    """`PATH=TYPE` (e.g. `issue.number=UInt32`) as a path and a parsed type."""
    path, sep, type_text = text.rpartition("=")
    if not sep or not path:
        raise ValueError(f"type override {text!r} is not PATH=TYPE")
    return parse_path(path.strip()), parse_type(type_text.strip())


def _hint_type(leaf: Leaf) -> CHType | None:
    inner = leaf.type.inner()
    if leaf.json_text or inner.name not in HINT_TYPES:
        return None
    wide = parse_type(HINT_TYPES[inner.name])
    if leaf.type.name == "LowCardinality":
        wide = t("LowCardinality", wide)
    return nullable(wide)


def _power_of_two(n: int) -> int:
    return 1 << max(0, n - 1).bit_length()


def json_column(root: tuple[str, ...], leaves: Sequence[Leaf], forced: dict[tuple[str, ...], CHType]) -> Column:
    """A JSON column (named later) for the leaves under `root`, with its hints and dynamic path bound."""
    candidates = [leaf for leaf in leaves if leaf.present >= HINT_MIN_RECORDS and _hint_type(leaf) is not None
                  and all(PLAIN_KEY.fullmatch(key) for key in leaf.path[len(root):])
                  and len(orjson.dumps(list(leaf.path))) <= MAX_PATH_CHARS]
    chosen = {leaf.path for leaf in sorted(candidates, key=lambda leaf: -leaf.present)[:MAX_HINTS]}
    hints = {leaf.path[len(root):]: _hint_type(leaf) for leaf in leaves if leaf.path in chosen}
    for path, typ in forced.items():
        if path[:len(root)] == root:
            hints[path[len(root):]] = nullable(typ) if typ.name != "Array" else typ
    low, high = DYNAMIC_PATHS
    dynamic = min(high, max(low, _power_of_two(2 * (len(leaves) - len(hints)))))
    return Column("", JSONType(hints=tuple(hints.items()), max_dynamic_paths=dynamic), root)  # type: ignore[arg-type]


def _typed(leaf: Leaf, forced: dict[tuple[str, ...], CHType]) -> Column:
    return Column("", forced.get(leaf.path, leaf.type), leaf.path, leaf.json_text and leaf.path not in forced)


def _named(typed: list[Column], json: list[Column]) -> list[Column]:
    """Names for typed columns first, then for JSON columns (the root one is `JSON_COLUMN`)."""
    names = column_names([c.path for c in typed])
    names += column_names([c.path or (JSON_COLUMN,) for c in json], taken=names)
    return [Column(name, c.type, c.path, c.json_text) for name, c in zip(names, [*typed, *json])]


def _ddl_size(columns: Sequence[Column]) -> int:
    return sum(len(ddl.column_sql(c).encode()) + 6 for c in columns) + 400


def typed_leaves(leaves: Sequence[Leaf], count: int, forced: dict[tuple[str, ...], CHType] | None = None,
                 minimum: int = 0) -> list[Leaf]:
    """The dense, stable leaves that get typed columns next to a JSON column, densest first; at
    least `minimum` records must have a value (evolution asks for `HINT_MIN_RECORDS`)."""
    forced = forced or {}
    stable = [leaf for leaf in leaves if leaf.present >= max(minimum, DENSE_SHARE * count)
              and (not leaf.json_text or leaf.path in forced) and len(orjson.dumps(list(leaf.path))) <= MAX_PATH_CHARS]
    return sorted(stable, key=lambda leaf: -leaf.present)[:MAX_TYPED_COLUMNS]


def choose(leaves: Sequence[Leaf], count: int, options: Options = Options()) -> Layout:
    """The layout for records whose flattened leaves are `leaves` (see the module's rules)."""
    forced = dict(options.types)
    roots = [tuple(r) for r in options.json_columns]
    inside = {leaf.path for leaf in leaves for root in roots if leaf.path[:len(root)] == root}
    free = [leaf for leaf in leaves if leaf.path not in inside]
    known = {leaf.path for leaf in leaves}
    for path in forced:
        if path not in known and not any(path[:len(root)] == root for root in roots):
            raise ValueError(f"`--type {'.'.join(path)}`: the samples have no field `{'.'.join(path)}` and it is not under a "
                             "`--json-column`")
    named_json = [json_column(root, [leaf for leaf in leaves if leaf.path[:len(root)] == root], forced) for root in roots]
    flat = _named([_typed(leaf, forced) for leaf in free], named_json)
    size = _ddl_size(flat)
    fits = len(flat) <= FLAT_MAX_COLUMNS and size <= DDL_BUDGET
    head = f"{len(leaves):,} leaf paths in {count:,} records"
    if fits or options.flatten:
        why = ("--flatten" if not fits else f"≤ {FLAT_MAX_COLUMNS:,} columns and a {size // 1024:,} KiB DDL "
               f"≤ {DDL_BUDGET // 1024} KiB")
        return Layout("flat", flat, [f"layout: flat, one column per leaf: {head} → {len(flat):,} columns ({why})",
                                     *_json_notes(flat), *_override_note()])
    dense = [leaf for leaf in free if leaf.present >= DENSE_SHARE * count]
    typed_paths = {leaf.path for leaf in typed_leaves(free, count, forced)}
    typed = [_typed(leaf, forced) for leaf in free if leaf.path in typed_paths]
    rest = [leaf for leaf in free if leaf.path not in typed_paths]
    hinted = {path: typ for path, typ in forced.items()
              if path not in typed_paths and not any(path[:len(root)] == root for root in roots)}
    columns = _named(typed, [*named_json, json_column((), rest, hinted)])
    unstable = [leaf for leaf in dense if leaf.path not in typed_paths]
    over = [f"{len(flat):,} columns (> {FLAT_MAX_COLUMNS:,})"] if len(flat) > FLAT_MAX_COLUMNS else []
    over += [f"a {size // 1024:,} KiB DDL (> {DDL_BUDGET // 1024} KiB)"] if size > DDL_BUDGET else []
    notes = [f"layout: typed columns + JSON: {head} flattened would be {' and '.join(over)}",
             f"typed: a column for each of the {len(typed)} paths with a value in ≥ {DENSE_SHARE:.0%} of records and one "
             f"type (at most {MAX_TYPED_COLUMNS}): {_sample([c.path for c in typed])}"]
    if unstable:
        notes.append(f"dense but left to JSON (mixed kinds, a long path or past the column cap): "
                     f"{_sample([leaf.path for leaf in unstable])}")
    notes += [*_json_notes(columns, len(rest)), *_override_note()]
    return Layout("hybrid", columns, notes)


def _sample(paths: Sequence[tuple[str, ...]], shown: int = 8) -> str:
    text = ", ".join("`" + ".".join(p) + "`" for p in paths[:shown])
    return text + (f", … ({len(paths) - shown} more)" if len(paths) > shown else "")


def _json_notes(columns: Sequence[Column], rest: int | None = None) -> list[str]:
    notes = []
    for column in columns:
        if not isinstance(column.type, JSONType):
            continue
        where = "every other path, and any new one" if not column.path else f"the subtree `{'.'.join(column.path)}`"
        seen = f" ({rest:,} seen)" if rest is not None and not column.path else ""
        notes.append(f"json: `{column.name}` holds {where}{seen}: {len(column.type.hints)} typed path hints (one scalar "
                     f"type in ≥ {HINT_MIN_RECORDS} records, at most {MAX_HINTS}), max_dynamic_paths="
                     f"{column.type.max_dynamic_paths} (twice the other paths, within {DYNAMIC_PATHS[0]}–{DYNAMIC_PATHS[1]})")
    return notes


def _override_note() -> list[str]:
    return ["override: --flatten, --json-column PATH, --type PATH=TYPE"]


"""Schema evolution: compare columns inferred from new samples with a table's columns.

Per JSON path: a new path becomes `ADD COLUMN` (always Nullable: existing rows have no value); a
path whose new type the column already holds needs nothing (a narrower sample never narrows a
column); a path whose column widens safely (`types.widening`) becomes `MODIFY COLUMN` to the least
common type; a column whose field the new samples lack becomes Nullable; a path whose new samples mix kinds (inferred as JSON text) moves to the top of the
lattice: its column is rewritten as the JSON text of each stored value, when ClickHouse's
`toJSONString` spells those values as the JSON they came from (`JSON_EXACT`). Anything else
(narrowing, a different single kind, object ↔ scalar) is refused with the reason. A path under a
JSON-text column needs nothing: that column holds any value. Kafka coordinate columns
(`coordinates`) hold no field: no sample touches them, and a field that would take one's name is
refused.

A table with a JSON column (`layout`) evolves mostly without migrations: a new path under it, or a
value of another kind where columns expect an object, lands in the JSON column as it is. Two steps
touch it: a typed path hint whose new samples do not fit is widened, or dropped when no type holds
both (the path becomes dynamic, values kept): one `MODIFY COLUMN` per JSON column (`hint`); and a
path of plain keys the layout would now type (`promote`) becomes a Nullable column, backfilled from
the JSON column where the stored value has the column's kind (`PROMOTE_SOURCES`; others stay in the
JSON column only). Rows stored before keep the value in the JSON column too; later rows have it in the
column only. Promotion is for reviewed plans: `unattended` leaves it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from spotlight_nifi.infer import coordinates, ddl
from spotlight_nifi.infer.layout import HINT_TYPES, is_json
from spotlight_nifi.infer.names import column_names, literal, quote
from spotlight_nifi.infer.types import (
    INTEGER_LADDER,
    PLAIN_KEY,
    CHType,
    Column,
    JSONType,
    innermost,
    nullable,
    parse_type,
    t,
    widening,
)

_COMMON_SUPERTYPES = [t(name) for name, _, _ in INTEGER_LADDER] + [t("Float64")]

JSON_EXACT = frozenset({"UInt8", "Int8", "UInt16", "Int16", "UInt32", "Int32", "Float64", "Bool", "String",
                        "Date", "Date32", "UUID", "IPv4", "IPv6"})
"""Types whose `toJSONString` is the JSON the value was read from (64-bit integers and Decimals
are quoted by it, and DateTime64 loses the original spelling, so they are not here)."""


PROMOTE_SOURCES = {**{name: ("Int64", "UInt64") for name, _, _ in INTEGER_LADDER[:8]},
                   "Float64": ("Float64", "Int64", "UInt64"), "Bool": ("Bool",),
                   **{name: ("String",) for name in ("String", "UUID", "IPv4", "IPv6", "Date", "Date32", "DateTime64")}}
"""Column type (innermost name) → the types a JSON column stores such JSON values as: the backfill of
a promoted column reads only those (`json.path.:Int64`), so a value of another kind is never cast."""


@dataclass(frozen=True)
class Step:
    kind: str  # "add", "modify", "json" (rewrite as JSON text), "hint", "promote" or "schema" (table comment)
    column: Column | None
    statements: tuple[str, ...]

    @property
    def sql(self) -> str:
        return ";\n".join(self.statements)


@dataclass
class Plan:
    """The migration plan: safe steps in order, and refused changes with their reasons."""

    table: str
    steps: list[Step] = field(default_factory=list)
    refused: list[tuple[Column, str]] = field(default_factory=list)
    off_schema: list[tuple[int, str]] = field(default_factory=list)
    samples: int = 0

    def render(self) -> str:
        lines = [f"-- migration plan for `{self.table}`: {len(self.steps)} change(s), {len(self.refused)} refused"]
        if self.off_schema:
            index, reason = self.off_schema[0]
            lines.append(f"-- {len(self.off_schema)} of {self.samples} new records do not match the table's JSON Schema "
                         f"(first: record {index + 1}, {reason})")
        lines += [step.sql + ";" for step in self.steps]
        lines += [f"-- refused: field `{'.'.join(c.path)}`: {reason}" for c, reason in self.refused]
        return "\n".join(lines)

    def unattended(self, existing: Sequence[Column]) -> Plan:
        """The part of this plan safe to apply without review (`load --evolve`): new columns, and
        widening that keeps a column's kind (a wider number, Nullable). A change of kind, such as a
        typed column rewritten as JSON text or an IPv4 column widened to String, is refused: a few
        stray values must not turn a typed column into text behind the user's back; their records
        are rejected instead, and `infer --evolve --apply` applies such a change after review."""
        before = {c.name: c for c in existing}
        kept = Plan(self.table, refused=list(self.refused), off_schema=self.off_schema, samples=self.samples)
        for step in self.steps:
            new = step.column
            if step.kind == "promote":
                continue
            if step.kind == "hint" and new is not None:
                reason = _hint_kind_change(before[new.name], new)
                if reason:
                    kept.refused.append((new, reason))
                else:
                    kept.steps.append(step)
                continue
            old = before.get(new.name) if new is not None and step.kind in ("modify", "json") else None
            if new is not None and old is not None and (step.kind == "json" or _kind(old.type) != _kind(new.type)):
                kept.refused.append((new, f"column `{old.name}` {old.type} would change kind to {new.type}; "
                                          "review and apply it with `spotlight-nifi infer --evolve --apply`"))
            else:
                kept.steps.append(step)
        return kept

    def columns_after(self, existing: Sequence[Column]) -> list[Column]:
        """The table's columns once the steps are applied."""
        modified = {s.column.name: s.column for s in self.steps if s.kind in ("modify", "json", "hint") and s.column}
        return [modified.get(c.name, c) for c in existing] + [
            s.column for s in self.steps if s.kind in ("add", "promote") and s.column]


def _hint_kind_change(old: Column, new: Column) -> str | None:
    """Why a hint step changes what a query on the JSON column gets back, None when it only widens."""
    old_hints, new_hints = dict(old.type.hints), dict(new.type.hints)  # type: ignore[attr-defined]
    for path, typ in old_hints.items():
        now = new_hints.get(path)
        if now is None or _kind(now) != _kind(typ):
            became = "dynamic" if now is None else str(now)
            return (f"path `{'.'.join(path)}` of JSON column `{old.name}` would change kind from {typ} to {became}; "
                    "review and apply it with `spotlight-nifi infer --evolve --apply`")
    return None


_NUMBERS = frozenset({name for name, _, _ in INTEGER_LADDER} | {"Float64", "Decimal"})


def _kind(typ: CHType) -> str:
    """A type's kind for unattended evolution: every number is one kind, other types are their own."""
    name = innermost(typ).name
    return "number" if name in _NUMBERS else name


def join(old: CHType, new: CHType) -> CHType | str:
    """The least type holding values of both, when `old` can be altered to it; else the reason."""
    if widening(new, old) is None:
        return old
    candidate = nullable(new) if old.nullable else new
    reason = widening(old, candidate)
    if reason is None:
        return candidate
    inner_old, inner_new = old.inner(), new.inner()
    for common in _COMMON_SUPERTYPES:
        if widening(inner_old, common) is None and widening(inner_new, common) is None:
            return nullable(common) if old.nullable or new.nullable else common
    return reason


def _scope(path: tuple[str, ...], roots: dict[tuple[str, ...], Column]) -> Column | None:
    """The JSON column whose path is the longest prefix of `path` (its own path excluded)."""
    return next((roots[path[:i]] for i in range(len(path) - 1, -1, -1) if path[:i] in roots), None)


def plan(table: str, existing: Sequence[Column], inferred: Sequence[Column], promote: Sequence[Column] = ()) -> Plan:
    """What to change so `table` holds records like those `inferred` was built from; `promote` are
    the typed columns the layout would choose for them (candidates to leave a JSON column)."""
    result = Plan(table)
    coordinate_names = {c.name for c in existing if coordinates.is_coordinate(c)}
    by_path = {c.path: c for c in existing if not is_json(c) and c.name not in coordinate_names}
    json_paths = {c.path for c in existing if c.json_text}
    roots = {c.path: c for c in existing if is_json(c)}
    hints: dict[str, dict[tuple[str, ...], CHType | None]] = {}
    promoted = {c.path for c in promote}
    added: list[Column] = []
    for column in inferred:
        if coordinate_names and column.path[0] in coordinates.WHAT:
            result.refused.append((column, coordinates.reserved_reason(column.path[0], column.path[0])))
            continue
        current = by_path.get(column.path)
        if any(column.path[:i] in json_paths for i in range(1, len(column.path))):
            continue
        scope = _scope(column.path, roots) if current is None else None
        if scope is not None:
            inside = column.path[len(scope.path):]
            hint = scope.type.hint(inside)  # type: ignore[attr-defined]
            if hint is not None:
                changed = _hint_join(hint, column)
                if changed != hint:
                    hints.setdefault(scope.name, {})[inside] = changed
            elif column.path in promoted and all(PLAIN_KEY.fullmatch(k) for k in inside) and \
                    innermost(column.type).name in PROMOTE_SOURCES and not column.json_text:
                added.append(Column("", column.type, column.path))
            continue
        if current is None:
            inside = [c.name for c in existing if c.path[:len(column.path)] == column.path]
            if inside:
                result.refused.append((column, f"was an object (columns {', '.join(f'`{n}`' for n in inside)}) and is now {column.type}"))
            else:
                added.append(column)
            continue
        if current.json_text:
            continue
        if column.json_text:
            if innermost(current.type).name not in JSON_EXACT:
                result.refused.append((column, f"column `{current.name}` {current.type} now gets values of mixed kinds, "
                                               "and its values cannot be rewritten as exact JSON text"))
            else:
                result.steps.append(_to_json_text(table, current, existing))
            continue
        joined = join(current.type, column.type)
        if isinstance(joined, str):
            result.refused.append((column, f"column `{current.name}`: {joined}"))
        elif joined != current.type:
            changed = Column(current.name, joined, current.path, current.json_text)
            result.steps.append(Step("modify", changed, (ddl.modify_column(table, changed),)))
    seen = {c.path[:i] for c in inferred for i in range(1, len(c.path) + 1)}
    for current in existing:
        if not is_json(current) and current.name not in coordinate_names and not current.type.nullable and not any(current.path[:i] in seen for i in range(1, len(current.path) + 1)):
            changed = Column(current.name, nullable(current.type), current.path, current.json_text)
            result.steps.append(Step("modify", changed, (ddl.modify_column(table, changed),)))
    for name, changes in hints.items():
        column = next(c for c in existing if c.name == name)
        kept = [(p, changes.get(p, typ)) for p, typ in column.type.hints]  # type: ignore[attr-defined]
        new_type = JSONType(hints=tuple((p, typ) for p, typ in kept if typ is not None),  # type: ignore[misc]
                            max_dynamic_paths=column.type.max_dynamic_paths, extra=column.type.extra)  # type: ignore[attr-defined]
        new = Column(column.name, new_type, column.path)
        result.steps.append(Step("hint", new, (ddl.modify_column(table, new),)))
    names = column_names([c.path for c in added], taken=[c.name for c in existing])
    for name, column in zip(names, added):
        if name in coordinates.WHAT:
            result.refused.append((column, coordinates.reserved_reason(".".join(column.path), name)))
            continue
        new = Column(name, nullable(column.type), column.path, column.json_text)
        scope = _scope(column.path, roots)
        if scope is None:
            result.steps.append(Step("add", new, (ddl.add_column(table, new),)))
        else:
            result.steps.append(_promote(table, new, scope))
    return result


def _hint_join(hint: CHType, column: Column) -> CHType | None:
    """The hint holding the old values and the new samples' (widened the layout's way); None when
    no hint does (the path becomes dynamic)."""
    inner = column.type.inner()
    if column.json_text or inner.name not in HINT_TYPES:
        return None
    joined = join(hint, nullable(parse_type(HINT_TYPES[inner.name])))
    return None if isinstance(joined, str) else joined


def _promote(table: str, column: Column, scope: Column) -> Step:
    """Add a column for a path of a JSON column, backfilled from the values stored with its kind."""
    inside = column.path[len(scope.path):]
    target = str(column.type.inner()) if column.type.name != "LowCardinality" else str(innermost(column.type))
    sources = [f"accurateCastOrNull({quote(scope.name)}.{'.'.join(inside)}.:{source}, {literal(target)})"
               for source in PROMOTE_SOURCES[innermost(column.type).name]]
    value = sources[0] if len(sources) == 1 else f"coalesce({', '.join(sources)})"
    return Step("promote", column, (
        ddl.add_column(table, column),
        f"ALTER TABLE {quote(table)} UPDATE {quote(column.name)} = {value} WHERE 1 SETTINGS mutations_sync = 2",
    ))


def _to_json_text(table: str, current: Column, existing: Sequence[Column]) -> Step:
    """Rewrite a typed column as the JSON text of its values, keeping its name and path."""
    target = Column(current.name, nullable(t("String")), current.path, json_text=True)
    scratch = Column(column_names([(current.name + "__json",)], taken=[c.name for c in existing])[0],
                     target.type, target.path, True)
    name, tmp, tbl = quote(current.name), quote(scratch.name), quote(table)
    return Step("json", target, (
        ddl.add_column(table, scratch),
        f"ALTER TABLE {tbl} UPDATE {tmp} = if(isNull({name}), NULL, toJSONString({name})) WHERE 1 SETTINGS mutations_sync = 2",
        f"ALTER TABLE {tbl} DROP COLUMN {name}",
        f"ALTER TABLE {tbl} RENAME COLUMN {tmp} TO {name}",
    ))

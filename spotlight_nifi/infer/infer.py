"""Infer ClickHouse columns from JSON records: pure, no I/O.

Nested objects are flattened into one column per leaf, named by joining the keys with `__`
(never `.`, which ClickHouse reads as a Nested structure): each leaf gets its own tight type and
codec, a new field is a plain `ADD COLUMN`, and queries need no JSON functions. The JSON path of
every column is kept (in the DDL as the column comment), so hostile or colliding keys never make a
path ambiguous. An object is kept whole, as one JSON-text String column, when it is sometimes not
an object, when it was only seen empty, or when it has more than `MAX_OBJECT_KEYS` keys (a map
keyed by data). Arrays are `Array(T)` of their elements' type; arrays of objects or of mixed kinds,
and arrays only ever seen empty (element type unknown), are JSON text. See `spotlight_nifi.infer.types` for the widening rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from spotlight_nifi.infer import detect
from spotlight_nifi.infer.names import column_names
from spotlight_nifi.infer.types import (
    LOW_CARDINALITY_MAX_DISTINCT,
    LOW_CARDINALITY_MAX_RATIO,
    MAX_EXACT_FLOAT_INT,
    MAP_KEY_SHARE,
    MAX_OBJECT_KEYS,
    NOT_IN_VARIANT,
    CHType,
    Column,
    innermost,
    integer_type,
    nullable,
    t,
)

_DISTINCT_CAP = LOW_CARDINALITY_MAX_DISTINCT * 20


@dataclass
class _Stats:
    """What was seen at one JSON path (or in the elements of the arrays there)."""

    nulls: int = 0
    bools: int = 0
    ints: int = 0
    floats: int = 0
    strings: int = 0
    objects: int = 0
    arrays: int = 0
    lo: float = 0
    hi: float = 0
    max_fraction: int = 0
    distinct: set[str] = field(default_factory=set)
    string_types: dict[Any, CHType] | None = None
    children: dict[str, _Stats] = field(default_factory=dict)
    elements: _Stats | None = None

    def add(self, value: Any) -> None:
        kind = type(value)
        if kind is str:
            self.strings += 1
            if len(self.distinct) < _DISTINCT_CAP and value not in self.distinct:
                self.distinct.add(value)
                self._narrow_string(value)
            elif self.string_types and len(self.distinct) >= _DISTINCT_CAP:
                self._narrow_string(value)
        elif kind is int:
            self._number(value)
            self.ints += 1
        elif kind is float:
            self._number(value)
            self.floats += 1
            digits = detect.fraction_digits(value)
            if digits > self.max_fraction:
                self.max_fraction = digits
        elif kind is bool:
            self.bools += 1
        elif value is None:
            self.nulls += 1
        elif kind is dict:
            self.objects += 1
            children = self.children
            for key, item in value.items():
                child = children.get(key)
                if child is None:
                    child = children[key] = _Stats()
                child.add(item)
        elif kind is list:
            self.arrays += 1
            if self.elements is None:
                self.elements = _Stats()
            for item in value:
                self.elements.add(item)
        else:
            raise TypeError(f"not a JSON value: {value!r}")

    def _number(self, value: float) -> None:
        if self.ints + self.floats == 0:
            self.lo = self.hi = value
        elif value < self.lo:
            self.lo = value
        elif value > self.hi:
            self.hi = value

    def _narrow_string(self, value: str) -> None:
        if self.string_types is None:
            self.string_types = {d: found for d in detect.STRING_DETECTIONS if (found := d(value)) is not None}
            return
        for d, seen in list(self.string_types.items()):
            found = d(value)
            if found is None:
                del self.string_types[d]
            elif found != seen and (found.name == "Date32" or found.args > seen.args):
                self.string_types[d] = found

    @property
    def kinds(self) -> int:
        return sum(1 for n in (self.bools, self.ints or self.floats, self.strings, self.objects, self.arrays) if n)


@dataclass(frozen=True)
class Options:
    """Choices the user makes: floats as Decimal, whether strings may be LowCardinality, and the
    table layout's overrides (see `spotlight_nifi.infer.layout`): flatten whatever the size, the
    subtrees kept whole in a JSON column, and types forced on paths."""

    decimal: bool = False
    low_cardinality: bool = True
    flatten: bool = False
    json_columns: tuple[tuple[str, ...], ...] = ()
    types: tuple[tuple[tuple[str, ...], CHType], ...] = ()


@dataclass(frozen=True)
class Leaf:
    """One flattened path: its type, whether it is JSON text, and in how many records it has a value."""

    path: tuple[str, ...]
    type: CHType
    json_text: bool
    present: int


def infer_leaves(records: Iterable[Mapping[str, Any]], options: Options = Options()) -> tuple[list[Leaf], int]:
    """Every flattened path of the records, in first-seen order, and how many records there were."""
    root = _Stats()
    count = 0
    for record in records:
        if type(record) is not dict:
            raise TypeError("every record must be a JSON object")
        root.add(record)
        count += 1
    leaves: list[Leaf] = []
    for key, child in root.children.items():
        _leaves((key,), child, count, options, leaves)
    return leaves, count


def infer_columns(records: Iterable[Mapping[str, Any]], options: Options = Options()) -> list[Column]:
    """The flat columns that hold every record (one per leaf), in first-seen order."""
    leaves, _ = infer_leaves(records, options)
    names = column_names([leaf.path for leaf in leaves])
    return [Column(name, leaf.type, leaf.path, leaf.json_text) for name, leaf in zip(names, leaves)]


def _leaves(path: tuple[str, ...], stats: _Stats, parents: int, options: Options, out: list[Leaf]) -> None:
    present = stats.bools + stats.ints + stats.floats + stats.strings + stats.objects + stats.arrays
    is_null = present < parents
    flatten = stats.objects and stats.kinds == 1 and stats.children and not _is_map(stats)
    if flatten:
        for key, child in stats.children.items():
            _leaves((*path, key), child, parents if is_null else stats.objects, options, out)
        return
    base = _scalar_or_array(path[-1], stats, options)
    if base is not None and is_null and base.name == "Array" and innermost(base).name in NOT_IN_VARIANT:
        base = None
    if base is None:
        out.append(Leaf(path, nullable(t("String")) if is_null else t("String"), True, present))
    else:
        out.append(Leaf(path, nullable(base) if is_null else base, False, present))


def _is_map(stats: _Stats) -> bool:
    keys = len(stats.children)
    if keys <= MAX_OBJECT_KEYS:
        return False
    presence = sum(c.bools + c.ints + c.floats + c.strings + c.objects + c.arrays + c.nulls for c in stats.children.values())
    return presence / keys < stats.objects * MAP_KEY_SHARE


def _scalar_or_array(name: str, stats: _Stats, options: Options) -> CHType | None:
    """The type for values of one kind, or None when only JSON text keeps them."""
    if stats.kinds != 1:
        return None
    if stats.bools:
        return t("Bool")
    if stats.strings:
        return _string_type(stats, options)
    if stats.arrays:
        element = stats.elements
        if element is None or element.kinds == 0:
            return None
        inner = _scalar_or_array(name, element, options)
        if inner is None or (element.nulls and inner.name == "Array"):
            return None
        return t("Array", nullable(inner) if element.nulls else inner)
    if stats.ints or stats.floats:
        return _number_type(name, stats, options)
    return None


def _number_type(name: str, stats: _Stats, options: Options) -> CHType | None:
    lo, hi = stats.lo, stats.hi
    when = detect.epoch(name, lo, hi, stats.max_fraction)
    if when is not None:
        return when
    if not stats.floats:
        found = integer_type(int(lo), int(hi))
        return None if found.name == "String" else found
    if stats.ints and max(abs(lo), abs(hi)) > MAX_EXACT_FLOAT_INT:
        return None
    if options.decimal:
        digits = len(str(int(max(abs(lo), abs(hi))))) + stats.max_fraction
        if digits <= 76:
            return t("Decimal", min(76, digits + 1), stats.max_fraction)
    return t("Float64")


def _string_type(stats: _Stats, options: Options) -> CHType:
    if stats.string_types:
        return next(iter(stats.string_types.values()))
    distinct = len(stats.distinct)
    if (options.low_cardinality and distinct <= LOW_CARDINALITY_MAX_DISTINCT
            and distinct <= stats.strings * LOW_CARDINALITY_MAX_RATIO):
        return t("LowCardinality", t("String"))
    return t("String")

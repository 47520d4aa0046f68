"""The caster's rules as ClickHouse SQL over JSON lines: which lines surely fit, and their values.

`compile_fit(columns)` turns a table's columns into SQL over a table of lines (`line`) saying
whether each surely fits and, for a line that does, each column's value. It errs one way only: a
line it calls fit is one `spotlight_nifi.cast` accepts, and each value is the one the caster's row
would store; a line it doubts goes to the caster, which decides and names the reason.

- `Fit.fast` reads the line into a typed tuple (integers as Int64, strings as String, ...) and
  proves it when the tuple's compact JSON text is the line itself (or the line with `json.dumps`'s
  default spaces taken out): then every key is a column's, once, in order, and every value has its
  column's JSON kind (`5` and `"5"` read alike but write back differently), so only ranges and
  spellings are left to check. Writers with a stable key order (orjson, Jackson, `json.dumps`,
  most producers) pass; other spellings are doubted.
- `Fit.slow` reads each value as Dynamic (integer, float, string, bool, null; array elements each)
  and checks the objects' keys (known ones only, each once; an object a path goes through present
  and not empty, or absent), for lines written otherwise. Integers beyond 64 bits read there as
  strings or floats, so an all-digit string of 19+ characters is doubted.
- Both check ranges and spellings as the caster does: an integer within its column's type, a
  Float64 finite and within 2^53 (beyond, the caster tells an integer from a float), UUID, IPv4,
  Date and DateTime64 in the canonical spellings `detect` accepts, a date proven to exist by a
  round trip (an epoch number for a time is left to the caster); null only where Nullable.
- simdjson refuses what orjson refuses (bad UTF-8, lone surrogates, raw control characters,
  numbers beyond a double): a line it cannot parse proves nothing.

Columns it cannot prove (JSON text, JSON, Decimal, 128-bit integers, IPv6, nullable arrays,
arrays of arrays or of Nullable, keys other than `PLAIN_KEY`, Kafka coordinates) make `compile_fit`
return None: the caster loads such a table alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from spotlight_nifi.infer import coordinates, detect
from spotlight_nifi.infer.names import literal
from spotlight_nifi.infer.types import (
    INTEGER_RANGES,
    MAX_EXACT_FLOAT_INT,
    PLAIN_KEY,
    CHType,
    Column,
    JSONType,
)

Check = Callable[[str], str]
"""SQL over a value's SQL: whether it surely fits, or the value to store."""

_BIG_DIGITS = "'^-?[0-9]{19,}$'"
_UUID = "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'"
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = f"'^({_OCTET}\\\\.){{3}}{_OCTET}$'"
_DATE = "'^[0-9]{4}-[0-9]{2}-[0-9]{2}$'"
SETTINGS = ("input_format_try_infer_dates = 0, input_format_try_infer_datetimes = 0, input_format_try_infer_integers = 1, "
            "input_format_json_try_infer_numbers_from_strings = 0, input_format_json_read_numbers_as_strings = 0, "
            "input_format_json_read_bools_as_numbers = 0, input_format_json_read_bools_as_strings = 0, "
            "output_format_json_quote_64bit_integers = 0, output_format_json_escape_forward_slashes = 0, "
            "output_format_json_named_tuples_as_objects = 1, short_circuit_function_evaluation = 'disable'")
"""What `JSONExtract(…, 'Dynamic')` must infer: a string stays a string (no date, time or number in
it), an integer an integer and a float a float; how `toJSONString` writes the typed tuple back (as
compact JSON writers do); and each extraction computed once per line, not once per check using it.
Pinned whatever the session says."""
_COMPACT = "replaceAll(replaceAll(line, ', ', ','), ': ', ':')"
"""The line without the space after each comma and colon, as `json.dumps` writes by default. It
proves nothing it should not: a space taken out of a string changes the string, and the typed
tuple (read from the line itself) then writes back differently."""
_INT_NAMES = frozenset(name for name, (lo, hi) in INTEGER_RANGES.items() if -(2**63) <= lo and hi < 2**64)


def _kind(value: str, kind: str) -> str:
    return f"dynamicType({value}) = '{kind}'"


def _as(value: str, kind: str) -> str:
    return f"dynamicElement({value}, '{kind}')"


@dataclass(frozen=True)
class _Rule:
    """How one scalar type is proven: `typed` is the element type the fast path reads the value as
    (its JSON text must come back the same); `kind` whether a Dynamic value has the right JSON kind
    and `read` it in the typed domain (the doubting path); `check` and `value` work on either."""

    typed: str
    kind: Check
    read: Check
    check: Check
    value: Check


def _string_kind(value: str) -> str:
    return f"({_kind(value, 'String')} AND NOT match({_as(value, 'String')}, {_BIG_DIGITS}))"


def _text(typed_check: Check, value: Check) -> _Rule:
    return _Rule("String", _string_kind, lambda d: _as(d, "String"), typed_check, value)


def _integer(typ: CHType) -> _Rule:
    lo, hi = INTEGER_RANGES[typ.name]
    return _Rule("UInt64" if typ.name == "UInt64" else "Int64", lambda d: _kind(d, "Int64"), lambda d: _as(d, "Int64"),
                 lambda v: f"{v} BETWEEN {lo} AND {hi}", lambda v: f"to{typ.name}({v})")


def _float64(typ: CHType) -> _Rule:
    def read(d: str) -> str:
        return f"if({_kind(d, 'Int64')}, toFloat64({_as(d, 'Int64')}), {_as(d, 'Float64')})"
    return _Rule("Float64", lambda d: f"({_kind(d, 'Float64')} OR {_kind(d, 'Int64')})", read,
                 lambda v: f"(isFinite({v}) AND abs({v}) < {MAX_EXACT_FLOAT_INT})", lambda v: v)


def _bool(typ: CHType) -> _Rule:
    return _Rule("Bool", lambda d: _kind(d, "Bool"), lambda d: _as(d, "Bool"), lambda v: "true", lambda v: v)


def _pattern(pattern: str, convert: str) -> Callable[[CHType], _Rule]:
    def rule(typ: CHType) -> _Rule:
        return _text(lambda v: f"match({v}, {pattern})", lambda v: f"{convert}({v})")
    return rule


def _date(typ: CHType) -> _Rule:
    low, high = detect.DATE_RANGES[typ.name]
    return _text(lambda v: f"(match({v}, {_DATE}) AND {v} BETWEEN {literal(low)} AND {literal(high)} "
                           f"AND toString(toDate32OrNull({v})) = {v})", lambda v: f"to{typ.name}OrZero({v})")


def _datetime64(typ: CHType) -> _Rule | None:
    if typ.args[1:] not in ((), ("UTC",)):
        return None
    precision = int(typ.args[0])  # type: ignore[arg-type]
    digits = 0 if precision < 3 else 3 if precision < 6 else 6
    fraction = f"(\\\\.[0-9]{{1,{digits}}})?" if digits else ""
    pattern = f"'^(19|2[0-2])[0-9][0-9]-[0-9][0-9]-[0-9][0-9][T ][0-9][0-9]:[0-9][0-9]:[0-9][0-9]{fraction}(Z|\\\\+00:00)?$'"

    def parsed(v: str) -> str:
        return f"parseDateTime64BestEffortOrNull({v}, {precision}, 'UTC')"
    return _text(lambda v: f"(match({v}, {pattern}) AND formatDateTime({parsed(v)}, '%Y-%m-%d %H:%i:%S', 'UTC') "
                           f"= concat(substring({v}, 1, 10), ' ', substring({v}, 12, 8)))", parsed)


_SCALARS: dict[str, Callable[[CHType], _Rule | None]] = {
    **{name: _integer for name in _INT_NAMES},
    "Float64": _float64,
    "Bool": _bool,
    "String": lambda typ: _text(lambda v: "true", lambda v: v),
    "UUID": _pattern(_UUID, "toUUIDOrZero"),
    "IPv4": _pattern(_IPV4, "toIPv4OrDefault"),
    "Date": _date,
    "Date32": _date,
    "DateTime64": _datetime64,
}
"""Type name → the rule proving it; a type without one leaves the table to the caster."""


def _scalar(typ: CHType) -> _Rule | None:
    if typ.name == "LowCardinality":
        return _scalar(typ.args[0])  # type: ignore[arg-type]
    factory = _SCALARS.get(typ.name)
    return None if factory is None else factory(typ)


@dataclass(frozen=True)
class _Leaf:
    """One column in both paths: its element type in the typed tuple, its checks and values."""

    typed: str
    fast_check: str
    fast_value: str
    slow_check: str
    slow_value: str
    array: bool


def _leaf(typ: CHType, fast: str, slow: str, elements: str) -> _Leaf | None:
    """`fast` the column's value in the typed tuple, `slow` in the Dynamic one, `elements` an array's
    elements as Dynamic."""
    nullable = typ.name == "Nullable" or (typ.name == "LowCardinality" and typ.nullable)
    base = typ.inner()
    if base.name == "Array":
        element = base.args[0]
        rule = _scalar(element) if isinstance(element, CHType) and not element.nullable else None
        if rule is None or nullable:
            return None
        return _Leaf(f"Array({rule.typed})", f"arrayAll(e -> {rule.check('e')}, {fast})",
                     f"arrayMap(e -> assumeNotNull({rule.value('e')}), {fast})",
                     f"(startsWith(dynamicType({slow}), 'Array(') AND arrayAll(e -> ({rule.kind('e')} AND "
                     f"{rule.check(rule.read('e'))}), {elements}))",
                     f"arrayMap(e -> assumeNotNull({rule.value(rule.read('e'))}), {elements})", True)
    rule = _scalar(base)
    if rule is None:
        return None
    slow_check = f"({rule.kind(slow)} AND {rule.check(rule.read(slow))})"
    if not nullable:
        return _Leaf(rule.typed, rule.check(fast), f"assumeNotNull({rule.value(fast)})", slow_check,
                     f"assumeNotNull({rule.value(rule.read(slow))})", False)
    missing = _kind(slow, "None")
    return _Leaf(f"Nullable({rule.typed})", f"(isNull({fast}) OR {rule.check(fast)})",
                 f"if(isNull({fast}), NULL, {rule.value(fast)})", f"({missing} OR {slow_check})",
                 f"if({missing}, NULL, {rule.value(rule.read(slow))})", False)


@dataclass(frozen=True)
class Proof:
    """One way of proving lines (a table with a `line` column): `extract` the select items reading
    each line, `ok` whether it surely fits, `values` per column."""

    extract: tuple[str, ...]
    ok: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Fit:
    """`fast` reads a line into a typed tuple and proves it when the tuple's JSON text is the line
    itself (compact JSON, keys in the columns' order: what most writers produce); `slow` reads each
    value as Dynamic and proves it by kind and key, for the lines `fast` could not."""

    fast: Proof
    slow: Proof


def _tuple(tree: dict[str, Any], element: Callable[[_Leaf], str | None]) -> str | None:
    """The named Tuple JSONExtract reads `tree` into, each leaf as `element` says (None: left out)."""
    parts = []
    for key, node in tree.items():
        inner = _tuple(node, element) if isinstance(node, dict) else element(node)
        if inner is not None:
            parts.append(f"{key} {inner}")
    return f"Tuple({', '.join(parts)})" if parts else None


def _element(root: str, path: Sequence[str]) -> str:
    for key in path:
        root = f"tupleElement({root}, {literal(key)})"
    return root


def compile_fit(columns: Sequence[Column]) -> Fit | None:
    """The SQL proving lines fit `columns`, None when a column is beyond what it proves."""
    tree: dict[str, Any] = {}
    leaves: list[_Leaf] = []
    for column in columns:
        if (column.json_text or isinstance(column.type, JSONType) or coordinates.is_coordinate(column)
                or not column.path or not all(PLAIN_KEY.fullmatch(key) for key in column.path)):
            return None
        node = tree
        for key in column.path[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                return None
        leaf = _leaf(column.type, _element("_t", column.path), _element("_x", column.path), _element("_a", column.path))
        if column.path[-1] in node or leaf is None:
            return None
        node[column.path[-1]] = leaf
        leaves.append(leaf)
    typed = _tuple(tree, lambda leaf: leaf.typed)
    fast = Proof((f"JSONExtract(line, {literal(typed)}) AS _t", "toJSONString(_t) AS _j"),  # type: ignore[arg-type]
                _proof([f"(_j = line OR _j = {_COMPACT})", *(leaf.fast_check for leaf in leaves)]),
                tuple(leaf.fast_value for leaf in leaves))
    extract = [f"JSONExtract(line, {literal(_tuple(tree, lambda leaf: 'Dynamic'))}) AS _x"]  # type: ignore[arg-type]
    arrays = _tuple(tree, lambda leaf: "Array(Dynamic)" if leaf.array else None)
    if arrays is not None:
        extract.append(f"JSONExtract(line, {literal(arrays)}) AS _a")
    checks = [*_objects(tree, (), extract), *(leaf.slow_check for leaf in leaves)]
    return Fit(fast, Proof(tuple(extract), _proof(checks), tuple(leaf.slow_value for leaf in leaves)))


def _proof(checks: Sequence[str]) -> str:
    """All `checks` hold; a check that is NULL (a date that does not exist) does not."""
    return f"ifNull({' AND '.join(checks)}, false)"


def _objects(tree: dict[str, Any], path: tuple[str, ...], extract: list[str]) -> list[str]:
    """Checks that every object on the way is one, with known keys only, each once."""
    name = f"_k{len(extract)}"
    extract.append(f"JSONExtractKeys(line{''.join(', ' + literal(key) for key in path)}) AS {name}")
    known = "[" + ", ".join(literal(key) for key in tree) + "]"
    checks = [f"hasAll({known}, {name})", f"length({name}) = length(arrayDistinct({name}))"]
    if not path:
        checks.insert(0, f"notEmpty({name})")
    for key, node in tree.items():
        if isinstance(node, dict):
            inner = f"_k{len(extract)}"
            checks += [f"(NOT has({name}, {literal(key)}) OR notEmpty({inner}))", *_objects(node, (*path, key), extract)]
    return checks

"""ClickHouse column types as data: the integer ladder, the widening lattice, type parsing.

Rules (the whole lattice; nothing else widens):
- Integers take the narrowest type of `INTEGER_LADDER` that holds the observed range times
  `INT_HEADROOM` (unsigned only when no value is negative; headroom never leaves 64 bits); beyond
  64 bits Int128/UInt128, beyond 128 bits Decimal(76, 0), beyond that JSON text.
- With `--decimal`, non-integers are Decimal(P, S): S the most fractional digits seen, P one
  integer digit more than seen (headroom).
- Bool is never merged with numbers; numbers are never merged with strings. A column holding
  more than one JSON kind (or objects mixed with scalars) is a `String` holding each value's JSON
  text (`Column.json_text`), so `5`, `"5"` and `true` stay distinguishable.
- Integers and floats merge into Float64 only while every integer is exact in a double (|n| ≤ 2^53).
- Strings narrow to UUID, IPv4, IPv6, Date/Date32 or DateTime64(p, 'UTC') only when every value
  matches; otherwise LowCardinality(String) under the cardinality rule, else String.
- Nullable only where a null or an absence was seen. Arrays cannot be Nullable in ClickHouse, so a
  nullable array is `Variant(Array(T))`, which keeps null apart from `[]`.
- `SAFE_WIDENINGS` lists the scalar changes `ALTER TABLE … MODIFY COLUMN` may make without losing
  a value; every other change is refused.
- ClickHouse's `JSON` type (`JSONType`) holds any object: typed path hints (always Nullable, so an
  absent path reads NULL, not 0) and up to `max_dynamic_paths` other paths as their own subcolumns
  (the rest in a shared structure). Hints are written only for paths of plain keys (`PLAIN_KEY`),
  which ClickHouse spells the same in the type, in queries and in `system.columns`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

INT_HEADROOM = 16
"""Observed magnitudes are multiplied by this before choosing a width, so a later sample a little
larger than the first still fits without an ALTER."""

INTEGER_LADDER: tuple[tuple[str, int, int], ...] = (
    ("UInt8", 0, 2**8 - 1),
    ("Int8", -(2**7), 2**7 - 1),
    ("UInt16", 0, 2**16 - 1),
    ("Int16", -(2**15), 2**15 - 1),
    ("UInt32", 0, 2**32 - 1),
    ("Int32", -(2**31), 2**31 - 1),
    ("UInt64", 0, 2**64 - 1),
    ("Int64", -(2**63), 2**63 - 1),
    ("UInt128", 0, 2**128 - 1),
    ("Int128", -(2**127), 2**127 - 1),
)
INTEGER_RANGES: dict[str, tuple[int, int]] = {name: (lo, hi) for name, lo, hi in INTEGER_LADDER}
BIG_DECIMAL = "Decimal(76, 0)"
MAX_EXACT_FLOAT_INT = 2**53

LOW_CARDINALITY_MAX_DISTINCT = 1000
LOW_CARDINALITY_MAX_RATIO = 0.5
"""A string column is LowCardinality when it has at most this many distinct values and they are at
most this fraction of its non-null values (ClickHouse recommends LowCardinality below ~10k)."""

MAX_OBJECT_KEYS = 64
MAP_KEY_SHARE = 0.1
"""An object with more than `MAX_OBJECT_KEYS` distinct keys, each key present on average in less
than `MAP_KEY_SHARE` of the objects, is a map keyed by data (ids, dates), not a record: it is
kept as one JSON-text column instead of one column per key. Wide records (every key in most
objects) still flatten."""


NOT_IN_VARIANT = frozenset({"Decimal", "Int128", "UInt128"})
"""Element types ClickHouse cannot parse from JSON inside a Variant (measured with chdb 26.9): a
nullable array of them is JSON text instead."""

_INT_ORDER = [name for name, _, _ in INTEGER_LADDER]

SAFE_WIDENINGS: frozenset[tuple[str, str]] = frozenset(
    {(a, b) for a in _INT_ORDER for b in _INT_ORDER if a != b and INTEGER_RANGES[a][0] >= INTEGER_RANGES[b][0]
     and INTEGER_RANGES[a][1] <= INTEGER_RANGES[b][1]}
    | {(a, "Float64") for a in ("UInt8", "Int8", "UInt16", "Int16", "UInt32", "Int32")}
    | {("Date", "Date32"), ("UUID", "String"), ("IPv4", "String"), ("IPv6", "String"), ("IPv4", "IPv6")}
)
"""Scalar (from, to) pairs whose CAST keeps every value exactly; see `widening`."""


@dataclass(frozen=True)
class CHType:
    """A ClickHouse type as a tree: `name` and its arguments (nested types, numbers or strings)."""

    name: str
    args: tuple[CHType | int | str, ...] = ()

    def __str__(self) -> str:
        if not self.args:
            return self.name
        parts = [a if isinstance(a, CHType) else repr(a) if isinstance(a, str) else a for a in self.args]
        return f"{self.name}({', '.join(str(p) for p in parts)})"

    @property
    def nullable(self) -> bool:
        if self.name == "LowCardinality":
            return self.args[0].nullable  # type: ignore[union-attr]
        return self.name in ("Nullable", "Variant")

    def inner(self) -> CHType:
        """The type without Nullable / LowCardinality wrappers."""
        t = self
        while t.name in ("Nullable", "LowCardinality"):
            t = t.args[0]  # type: ignore[assignment]
        return t


PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DEFAULT_DYNAMIC_PATHS = 1024
"""ClickHouse's own default for `max_dynamic_paths`."""


@dataclass(frozen=True)
class JSONType(CHType):
    """`JSON(max_dynamic_paths=N, a.b Nullable(Int64), …)`: `hints` are (path, type) pairs, kept in
    ClickHouse's order (by dotted path); `extra` other clauses of a table made elsewhere (`SKIP …`,
    `max_dynamic_types=…`), kept verbatim so an ALTER does not drop them."""

    name: str = "JSON"
    hints: tuple[tuple[tuple[str, ...], CHType], ...] = ()
    max_dynamic_paths: int = DEFAULT_DYNAMIC_PATHS
    extra: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "hints", tuple(sorted(self.hints, key=lambda hint: ".".join(hint[0]).encode())))

    def __str__(self) -> str:
        parts = [f"max_dynamic_paths={self.max_dynamic_paths}", *self.extra]
        parts += [f"`{'.'.join(path)}` {typ}" for path, typ in self.hints]
        return f"JSON({', '.join(parts)})"

    def hint(self, path: tuple[str, ...]) -> CHType | None:
        return next((typ for p, typ in self.hints if p == path), None)


def _split_top(text: str) -> list[str]:
    """`text` split at the commas outside parentheses, quotes and backquotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote and text[i - 1] != "\\" else quote
        elif char in "'`":
            quote = char
        elif char in "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def parse_json_type(text: str) -> JSONType:
    """Parse `JSON(...)` as `system.columns` prints it; ValueError when malformed."""
    inner = text.strip()[len("JSON"):].strip()
    if inner and not (inner.startswith("(") and inner.endswith(")")):
        raise ValueError(f"cannot parse ClickHouse type {text!r}")
    hints, extra, dynamic = [], [], DEFAULT_DYNAMIC_PATHS
    for part in _split_top(inner[1:-1]) if inner else []:
        setting = re.fullmatch(r"max_dynamic_paths\s*=\s*(\d+)", part)
        if setting:
            dynamic = int(setting.group(1))
            continue
        if part.upper().startswith("SKIP ") or part.startswith("max_dynamic_types"):
            extra.append(part)
            continue
        match = re.fullmatch(r"(`(?:[^`\\]|\\.)*`|[^\s`]+)\s+(.+)", part, re.DOTALL)
        if match is None:
            raise ValueError(f"cannot parse ClickHouse type {text!r}")
        path = match.group(1).strip("`")
        hints.append((tuple(path.split(".")), parse_type(match.group(2))))
    return JSONType(hints=tuple(hints), max_dynamic_paths=dynamic, extra=tuple(extra))


def t(name: str, *args: CHType | int | str) -> CHType:
    return CHType(name, args)


def innermost(typ: CHType) -> CHType:
    """The element type under every Array / Nullable / LowCardinality / Variant wrapper."""
    while typ.args and isinstance(typ.args[0], CHType) and typ.name in ("Array", "Nullable", "LowCardinality", "Variant"):
        typ = typ.args[0]
    return typ


def nullable(base: CHType) -> CHType:
    """`base` allowing NULL: Nullable(...) inside LowCardinality, Variant(...) for arrays."""
    if base.nullable:
        return base
    if base.name == "Array":
        return t("Variant", base)
    if base.name == "LowCardinality":
        return t("LowCardinality", t("Nullable", base.args[0]))  # type: ignore[arg-type]
    return t("Nullable", base)


_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<num>-?\d+)|'(?P<str>(?:[^'\\]|\\.)*)'|(?P<sym>[(),]))")


def parse_type(text: str) -> CHType:
    """Parse a ClickHouse type string as `system.columns` prints it; ValueError when malformed."""
    if re.match(r"JSON\b", text):
        return parse_json_type(text)
    matches = list(_TOKEN.finditer(text))
    if "".join(m.group(0) for m in matches) != text.rstrip():
        raise ValueError(f"cannot parse ClickHouse type {text!r}")
    tokens = [(m.lastgroup or "", m.group(m.lastgroup or 0)) for m in matches]
    pos = 0

    def parse() -> CHType:
        nonlocal pos
        kind, value = tokens[pos]
        if kind != "name":
            raise ValueError(f"cannot parse ClickHouse type {text!r}")
        pos += 1
        args: list[CHType | int | str] = []
        if pos < len(tokens) and tokens[pos] == ("sym", "("):
            pos += 1
            while tokens[pos] != ("sym", ")"):
                k, v = tokens[pos]
                if k == "name":
                    args.append(parse())
                else:
                    args.append(int(v) if k == "num" else v)
                    pos += 1
                if tokens[pos] == ("sym", ","):
                    pos += 1
            pos += 1
        return CHType(value, tuple(args))

    try:
        result = parse()
    except IndexError:
        raise ValueError(f"cannot parse ClickHouse type {text!r}") from None
    if pos != len(tokens):
        raise ValueError(f"cannot parse ClickHouse type {text!r}")
    return result


def integer_type(lo: int, hi: int, headroom: int = INT_HEADROOM) -> CHType:
    """The narrowest integer (or Decimal / String) holding [lo, hi] with headroom."""
    want_lo, want_hi = min(lo * headroom, lo), max(hi * headroom, hi)
    for name, a, b in INTEGER_LADDER[:8]:
        if a <= want_lo and want_hi <= b:
            return t(name)
    for name, a, b in INTEGER_LADDER:
        if a <= lo and hi <= b:
            return t(name)
    if -(10**76) < lo and hi < 10**76:
        return parse_type(BIG_DECIMAL)
    return t("String")


def widening(old: CHType, new: CHType) -> str | None:
    """None when `old` → `new` keeps every stored value; otherwise the reason it does not."""
    if old == new:
        return None
    if old.name == "LowCardinality" or new.name == "LowCardinality":
        o = old.args[0] if old.name == "LowCardinality" else old
        n = new.args[0] if new.name == "LowCardinality" else new
        return widening(o, n)  # type: ignore[arg-type]
    if new.name == "Nullable" and old.name != "Nullable":
        return widening(old, new.args[0])  # type: ignore[arg-type]
    if old.name == "Nullable":
        if new.name != "Nullable":
            return f"{old} → {new} would drop NULLs"
        return widening(old.args[0], new.args[0])  # type: ignore[arg-type]
    if new.name == "Variant" and old.name == "Array" and new.args == (old,):
        return None
    if old.name == new.name and old.name in ("Array", "Variant"):
        return widening(old.args[0], new.args[0])  # type: ignore[arg-type]
    if old.name == new.name == "DateTime64" and old.args[1:] == new.args[1:]:
        return None if old.args[0] <= new.args[0] else f"{old} → {new} would truncate sub-seconds"  # type: ignore[operator]
    if old.name in ("Date", "Date32") and new.name == "DateTime64":
        return None
    if (old.name, new.name) in SAFE_WIDENINGS:
        return None
    return f"{old} → {new} is not a safe widening"


@dataclass(frozen=True)
class Column:
    """One table column: its name, type, the JSON path it is read from, and whether it stores the
    JSON text of the value (the last resort for mixed or unbounded values)."""

    name: str
    type: CHType
    path: tuple[str, ...]
    json_text: bool = False

"""Table-driven inference cases: tricky samples and the types they must get."""

from __future__ import annotations

import pytest

from spotlight_nifi.infer import Options, infer_columns

CASES = [
    ("small non-negative ints get unsigned with headroom", [{"n": 1}, {"n": 15}], {"n": "UInt8"}),
    ("headroom pushes 200 to 16 bits", [{"n": 0}, {"n": 200}], {"n": "UInt16"}),
    ("a negative value makes it signed", [{"n": -1}, {"n": 7}], {"n": "Int8"}),
    ("2^63 needs UInt64", [{"n": 2**63}], {"n": "UInt64"}),
    ("below -2^63 needs Int128", [{"n": -(2**63) - 1}], {"n": "Int128"}),
    ("beyond 128 bits is Decimal(76, 0)", [{"n": 2**130}], {"n": "Decimal(76, 0)"}),
    ("beyond Decimal(76) is String", [{"n": 10**80}], {"n": "String"}),
    ("ints and floats merge into Float64", [{"x": 1}, {"x": 2.5}], {"x": "Float64"}),
    ("a huge int with floats cannot be a double: JSON text", [{"x": 2**60}, {"x": 0.5}], {"x": "String"}),
    ("decimal when asked", [{"x": 12.25}, {"x": 3.5}], {"x": "Decimal(5, 2)"}),
    ("bool never merges with numbers", [{"edited": False}, {"edited": 1609459200.5}], {"edited": "String"}),
    ("bool alone", [{"b": True}, {"b": False}], {"b": "Bool"}),
    ("null makes Nullable", [{"a": 1}, {"a": None}], {"a": "Nullable(UInt8)"}),
    ("absence makes Nullable", [{"a": 1, "b": "x"}, {"b": "y"}], {"a": "Nullable(UInt8)", "b": "String"}),
    ("only nulls: nullable JSON text", [{"a": None}], {"a": "Nullable(String)"}),
    ("uuid", [{"u": "8a7d0b2e-1c9f-4c6a-9d8b-3e2f1a0b9c7d"}], {"u": "UUID"}),
    ("uppercase uuid stays a string", [{"u": "8A7D0B2E-1C9F-4C6A-9D8B-3E2F1A0B9C7D"}], {"u": "String"}),
    ("ipv4", [{"ip": "10.1.2.3"}, {"ip": "192.168.0.1"}], {"ip": "IPv4"}),
    ("ipv4 with leading zero is a string", [{"ip": "010.1.2.3"}], {"ip": "String"}),
    ("ipv6", [{"ip": "2001:db8::1"}], {"ip": "IPv6"}),
    ("ipv4 and ipv6 mixed stay strings", [{"ip": "2001:db8::1"}, {"ip": "10.0.0.1"}], {"ip": "String"}),
    ("iso date", [{"d": "2024-02-29"}], {"d": "Date"}),
    ("date before 1970 is Date32", [{"d": "1969-07-20"}], {"d": "Date32"}),
    ("impossible date is a string", [{"d": "2023-02-29"}], {"d": "String"}),
    ("iso datetime Z", [{"t": "2024-01-01T00:00:00Z"}], {"t": "DateTime64(0, 'UTC')"}),
    ("precision is the widest seen", [{"t": "2024-01-01T00:00:00Z"}, {"t": "2024-01-01T00:00:00.123456Z"}],
     {"t": "DateTime64(6, 'UTC')"}),
    ("non-UTC offset is kept as a string", [{"t": "2024-01-01T00:00:00+02:00"}], {"t": "String"}),
    ("epoch seconds by name", [{"created_utc": 1609459200.0}, {"created_utc": 1609459300.5}],
     {"created_utc": "DateTime64(3, 'UTC')"}),
    ("epoch millis by name", [{"ts": 1609459200000}], {"ts": "DateTime64(3, 'UTC')"}),
    ("an epoch-sized number without a time name stays a number", [{"score": 1609459200}], {"score": "UInt64"}),
    ("low cardinality", [{"s": "a"}] * 5 + [{"s": "b"}] * 5, {"s": "LowCardinality(String)"}),
    ("high cardinality", [{"s": str(i)} for i in range(10)], {"s": "String"}),
    ("nested objects flatten", [{"o": {"a": 1, "b": {"c": "x"}}}], {"o__a": "UInt8", "o__b__c": "String"}),
    ("absent parent makes children Nullable", [{"o": {"a": 1}}, {}], {"o__a": "Nullable(UInt8)"}),
    ("object in one record, string in another: JSON text", [{"o": {"a": 1}}, {"o": "x"}], {"o": "String"}),
    ("empty object only: JSON text", [{"o": {}}], {"o": "String"}),
    ("arrays", [{"a": [1, 2]}, {"a": []}], {"a": "Array(UInt8)"}),
    ("arrays with null elements", [{"a": ["x", None]}], {"a": "Array(Nullable(String))"}),
    ("nullable arrays are Variant(Array)", [{"a": [1]}, {"a": None}], {"a": "Variant(Array(UInt8))"}),
    ("arrays of arrays", [{"a": [[1], [2, 3]]}], {"a": "Array(Array(UInt8))"}),
    ("arrays of objects: JSON text", [{"a": [{"x": 1}]}], {"a": "String"}),
    ("empty arrays only: element type unknown, JSON text", [{"a": []}], {"a": "String"}),
    ("mixed element kinds: JSON text", [{"a": [1, "x"]}], {"a": "String"}),
]


@pytest.mark.parametrize(("records", "expected"), [(r, e) for _, r, e in CASES], ids=[c[0] for c in CASES])
def test_inferred_types(records: list[dict], expected: dict[str, str]) -> None:
    decimal = any(t.startswith("Decimal(5") for t in expected.values())
    columns = infer_columns(records, Options(decimal=decimal))
    assert {c.name: str(c.type) for c in columns} == expected


def test_json_text_marks_the_columns_that_hold_mixed_values() -> None:
    columns = infer_columns([{"o": {"a": 1}}, {"o": "x"}, {"n": 1}])
    assert [(c.name, c.json_text) for c in columns] == [("o", True), ("n", False)]


def test_many_rare_keys_is_a_map_kept_as_json_text() -> None:
    records = [{"m": {f"id{n}-{i}": i for i in range(10)}} for n in range(20)]
    columns = infer_columns(records)
    assert [(c.name, str(c.type), c.json_text) for c in columns] == [("m", "String", True)]


def test_wide_records_still_flatten() -> None:
    records = [{"m": {f"k{i}": i for i in range(100)}} for _ in range(20)]
    assert len(infer_columns(records)) == 100


def test_records_must_be_objects() -> None:
    with pytest.raises(TypeError, match="every record must be a JSON object"):
        infer_columns([[1, 2]])  # type: ignore[list-item]

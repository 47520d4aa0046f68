"""The layout decision: flat while small, typed columns + a JSON column for heterogeneous streams."""

from __future__ import annotations

from typing import Any

import pytest

from spotlight_nifi.cast import compile_caster
from spotlight_nifi.infer import Options, infer_table
from spotlight_nifi.infer.infer import infer_leaves
from spotlight_nifi.infer.layout import (
    DDL_BUDGET,
    DYNAMIC_PATHS,
    FLAT_MAX_COLUMNS,
    JSON_COLUMN,
    MAX_HINTS,
    choose,
    is_json,
    parse_path,
    parse_type_override,
)
from spotlight_nifi.infer.types import JSONType, parse_type
from tests.heterogeneous import DEEP, TYPES, stream

STREAM = stream(600)


def layout_of(records: list[dict[str, Any]], options: Options = Options()) -> Any:
    leaves, count = infer_leaves(records, options)
    return choose(leaves, count, options)


def typed(layout: Any) -> dict[str, str]:
    return {".".join(c.path): str(c.type) for c in layout.columns if not is_json(c)}


def json_type(layout: Any) -> JSONType:
    found = [c for c in layout.columns if is_json(c)]
    assert len(found) == 1
    return found[0].type  # type: ignore[return-value]


def test_the_stream_is_heterogeneous_enough() -> None:
    leaves, _ = infer_leaves(STREAM)
    assert len({r["event"] for r in STREAM}) == len(TYPES) >= 40 and len(leaves) >= 1000


def test_small_uniform_records_stay_flat() -> None:
    layout = layout_of([{"id": 1, "o": {"a": "x"}}, {"id": 2, "o": {"a": "y"}}])
    assert (layout.kind, typed(layout)) == ("flat", {"id": "UInt8", "o.a": "String"})
    assert layout.notes[0] == "layout: flat, one column per leaf: 2 leaf paths in 2 records → 2 columns (≤ 1,000 columns " \
                              "and a 0 KiB DDL ≤ 192 KiB)"


def test_dense_stable_paths_are_typed_and_sparse_ones_go_to_the_json_column() -> None:
    layout = layout_of(STREAM)
    assert layout.kind == "hybrid"
    assert typed(layout) == {"event": "LowCardinality(String)", "source": "LowCardinality(String)",
                             "received_at": "DateTime64(0, 'UTC')", "actor.id": "UInt32", "actor.login": "LowCardinality(String)"}
    column = next(c for c in layout.columns if is_json(c))
    assert (column.name, column.path) == (JSON_COLUMN, ())


def test_a_path_whose_kind_differs_across_event_types_is_neither_typed_nor_hinted() -> None:
    layout = layout_of(STREAM)
    hints = dict(json_type(layout).hints)
    assert ("subject", "created_at") not in hints and ("subject", "ref") not in hints
    assert "subject.created_at" not in typed(layout)
    assert "dense but left to JSON (mixed kinds, a long path or past the column cap): `subject.created_at`, `subject.ref`" \
        in layout.notes


def test_hints_are_wide_nullable_and_bounded() -> None:
    hints = dict(json_type(layout_of(STREAM)).hints)
    assert len(hints) == MAX_HINTS
    assert {str(t) for t in hints.values()} <= {"Nullable(Int64)", "Nullable(Float64)", "Nullable(Bool)", "Nullable(String)",
                                                "LowCardinality(Nullable(String))", "Nullable(DateTime64(6, 'UTC'))"}


def test_max_dynamic_paths_is_bounded() -> None:
    assert json_type(layout_of(STREAM)).max_dynamic_paths == DYNAMIC_PATHS[1]
    few = layout_of(STREAM, Options(json_columns=(("actor",),), flatten=True))
    assert json_type(few).max_dynamic_paths == DYNAMIC_PATHS[0]


def test_deep_nesting_stays_in_the_json_column_with_plain_keys_hinted() -> None:
    deep = [leaf for leaf in infer_leaves(STREAM)[0] if "nested" in leaf.path]
    assert len(deep) == 1 and len(deep[0].path) == DEEP + 3
    assert not any("nested" in path for path in typed(layout_of(STREAM)))


def test_hostile_keys_inside_the_json_part_are_never_hints() -> None:
    hints = dict(json_type(layout_of(STREAM)).hints)
    assert not [path for path in hints if path[:2] == ("issue", "labels")]


def test_wide_sparse_streams_stay_under_the_ddl_budget_whatever_the_keys() -> None:
    records = [{"event": f"e{i % 50}", f"k{i % 50}": {f"{'x' * 300}{j}": j for j in range(40)}} for i in range(500)]
    inferred = infer_table(records, "wide")
    assert inferred.layout.kind == "hybrid" and len(inferred.create_sql.encode()) < DDL_BUDGET
    assert typed(inferred.layout) == {"event": "LowCardinality(String)"}


def test_flatten_overrides_the_size_rule() -> None:
    layout = layout_of(STREAM, Options(flatten=True))
    assert layout.kind == "flat" and len(layout.columns) > FLAT_MAX_COLUMNS
    assert layout.notes[0].endswith("columns (--flatten)")


def test_a_json_column_can_be_asked_for_a_subtree() -> None:
    records = [{"id": i, "payload": {"n": i, "tags": {"a": "x"}}} for i in range(20)]
    layout = layout_of(records, Options(json_columns=(("payload",),)))
    assert (layout.kind, typed(layout)) == ("flat", {"id": "UInt16"})
    column = next(c for c in layout.columns if is_json(c))
    assert (column.name, column.path, str(column.type)) == (
        "payload", ("payload",), "JSON(max_dynamic_paths=16, `n` Nullable(Int64), `tags.a` LowCardinality(Nullable(String)))")


def test_forced_types_apply_to_columns_and_hints() -> None:
    options = Options(types=(parse_type_override("actor.id=UInt64"), parse_type_override("order.created.g0.f0_6=UInt32")))
    layout = layout_of(STREAM, options)
    assert typed(layout)["actor.id"] == "UInt64"
    assert dict(json_type(layout).hints)[("order", "created", "g0", "f0_6")] == parse_type("Nullable(UInt32)")


def test_a_forced_type_for_an_unknown_path_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"^`--type nope.x`: the samples have no field `nope.x`"):
        layout_of(STREAM, Options(types=(parse_type_override("nope.x=UInt8"),)))


@pytest.mark.parametrize(("text", "path"), [("a.b", ("a", "b")), ('["a.b", "c"]', ("a.b", "c")), ("x", ("x",))])
def test_paths_from_the_command_line(text: str, path: tuple[str, ...]) -> None:
    assert parse_path(text) == path


@pytest.mark.parametrize("text", ["UInt8", "a.b", "=UInt8"])
def test_a_type_override_needs_path_and_type(text: str) -> None:
    with pytest.raises(ValueError, match="is not PATH=TYPE|cannot parse ClickHouse type"):
        parse_type_override(text)


def test_the_schema_comment_keeps_the_typed_part_only() -> None:
    inferred = infer_table(STREAM, "events")
    assert inferred.schema is not None and set(inferred.schema["properties"]) == {"event", "source", "received_at", "actor"}
    assert inferred.schema["required"] == ["actor", "event", "received_at", "source"]


def test_json_type_renders_and_parses_back() -> None:
    text = "JSON(max_dynamic_paths=16, max_dynamic_types=8, SKIP a.b, `a.c` Nullable(Int64), `t` Nullable(DateTime64(6, 'UTC')))"
    parsed = parse_type(text)
    assert isinstance(parsed, JSONType) and parsed.hint(("a", "c")) == parse_type("Nullable(Int64)")
    assert str(parsed) == text
    assert parse_type("JSON") == JSONType()


def test_a_forced_hint_under_a_named_json_column_is_only_there() -> None:
    options = Options(json_columns=(("issue",),), types=(parse_type_override("issue.x.y=UInt8"),))
    layout = layout_of(STREAM, options)
    hints = {c.name: dict(c.type.hints) for c in layout.columns if is_json(c)}  # type: ignore[attr-defined]
    assert hints["issue"][("x", "y")] == parse_type("Nullable(UInt8)")
    assert not [path for path in hints[JSON_COLUMN] if path[:1] == ("issue",)]
    compile_caster(layout.columns)

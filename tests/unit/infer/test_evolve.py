"""Evolution plans: add, widen, refuse with the reason."""

from __future__ import annotations

from spotlight_nifi.infer import infer_columns
from spotlight_nifi.infer.evolve import plan
from spotlight_nifi.infer.types import Column, parse_type


def test_new_field_is_added_as_nullable() -> None:
    result = plan("events", infer_columns([{"a": 1}]), infer_columns([{"a": 1, "b": {"c": "x"}}]))
    assert result.render() == (
        "-- migration plan for `events`: 1 change(s), 0 refused\n"
        "ALTER TABLE `events` ADD COLUMN `b__c` Nullable(String) CODEC(ZSTD(1)) COMMENT '{\"path\":[\"b\",\"c\"]}';")


def test_safe_widening_is_modify_column() -> None:
    result = plan("events", infer_columns([{"a": 1}]), infer_columns([{"a": -1000}]))
    assert [s.sql for s in result.steps] == ["ALTER TABLE `events` MODIFY COLUMN `a` Int16 COMMENT '{\"path\":[\"a\"]}'"]


def test_narrower_samples_change_nothing() -> None:
    result = plan("events", infer_columns([{"a": 100000}]), infer_columns([{"a": 1}]))
    assert (result.steps, result.refused) == ([], [])


def test_unsigned_and_negative_meet_in_a_common_supertype() -> None:
    result = plan("events", infer_columns([{"a": 200}]), infer_columns([{"a": -1}]))
    assert [str(s.column.type) for s in result.steps] == ["Int32"]


def test_nulls_make_the_column_nullable() -> None:
    result = plan("events", infer_columns([{"a": 1}]), infer_columns([{"a": None}, {"a": 2}]))
    assert [str(s.column.type) for s in result.steps] == ["Nullable(UInt8)"]


def test_incompatible_change_is_refused_with_reason() -> None:
    result = plan("events", infer_columns([{"a": 1}]), infer_columns([{"a": "x"}]))
    assert result.render() == ("-- migration plan for `events`: 0 change(s), 1 refused\n"
                               "-- refused: field `a`: column `a`: UInt8 → String is not a safe widening")


def test_object_becoming_scalar_is_refused() -> None:
    result = plan("events", infer_columns([{"o": {"x": 1}}]), infer_columns([{"o": 5}]))
    assert [r for _, r in result.refused] == ["was an object (columns `o__x`) and is now UInt8"]


def test_paths_under_a_json_text_column_need_nothing() -> None:
    existing = infer_columns([{"o": {"x": 1}}, {"o": "s"}])
    result = plan("events", existing, infer_columns([{"o": {"y": 2}}]))
    assert (result.steps, result.refused) == ([], [])


def test_added_name_avoids_existing_names() -> None:
    existing = infer_columns([{"a__b": 1}])
    result = plan("events", existing, infer_columns([{"a__b": 1, "a": {"b": 2}}]))
    assert [s.column.name for s in result.steps] == ["a__b_2"]


def test_mixed_kinds_rewrite_the_column_as_json_text() -> None:
    result = plan("events", infer_columns([{"a": [1, 2]}]), infer_columns([{"a": "x"}, {"a": [3]}]))
    assert result.render() == (
        "-- migration plan for `events`: 1 change(s), 0 refused\n"
        "ALTER TABLE `events` ADD COLUMN `a__json` Nullable(String) CODEC(ZSTD(1)) COMMENT '{\"path\":[\"a\"],\"json\":true}';\n"
        "ALTER TABLE `events` UPDATE `a__json` = if(isNull(`a`), NULL, toJSONString(`a`)) WHERE 1 SETTINGS mutations_sync = 2;\n"
        "ALTER TABLE `events` DROP COLUMN `a`;\n"
        "ALTER TABLE `events` RENAME COLUMN `a__json` TO `a`;")


def test_mixed_kinds_over_inexact_json_are_refused() -> None:
    result = plan("events", infer_columns([{"t": "2024-01-01T00:00:00Z"}]), infer_columns([{"t": 1}, {"t": "x"}]))
    assert [r for _, r in result.refused] == ["column `t` DateTime64(0, 'UTC') now gets values of mixed kinds, "
                                              "and its values cannot be rewritten as exact JSON text"]


def test_a_field_the_new_samples_lack_becomes_nullable() -> None:
    result = plan("events", infer_columns([{"a": 1, "o": {"x": "s"}}]), infer_columns([{"a": 2}]))
    assert [(s.column.name, str(s.column.type)) for s in result.steps if s.column] == [("o__x", "Nullable(String)")]


HYBRID = [Column("event", parse_type("LowCardinality(String)"), ("event",)),
          Column("a__id", parse_type("UInt8"), ("a", "id")),
          Column("json", parse_type("JSON(max_dynamic_paths=16, `a.d` Nullable(Date32), `t` Nullable(String))"), ())]


def test_new_paths_and_new_shapes_under_a_json_column_need_nothing() -> None:
    result = plan("events", HYBRID, infer_columns([{"event": "e", "a": {"id": 1, "new": {"deep": [1]}}, "other": "x"}]))
    assert (result.steps, result.refused) == ([], [])


def test_a_hint_widens_or_is_dropped_in_one_modify_column() -> None:
    result = plan("events", HYBRID, infer_columns([{"event": "e", "a": {"id": 1, "d": "2024-01-01T00:00:00Z"}, "t": 5}]))
    assert [s.sql for s in result.steps] == [
        "ALTER TABLE `events` MODIFY COLUMN `json` JSON(max_dynamic_paths=16, `a.d` Nullable(DateTime64(6, 'UTC'))) "
        "COMMENT '{\"path\":[]}'"]
    unattended = result.unattended(HYBRID)
    assert (unattended.steps, [r for _, r in unattended.refused]) == ([], [
        "path `a.d` of JSON column `json` would change kind from Nullable(Date32) to Nullable(DateTime64(6, 'UTC')); review "
        "and apply it with `spotlight-nifi infer --evolve --apply`"])


def test_a_stable_path_of_the_json_column_is_promoted_with_its_values() -> None:
    new = infer_columns([{"event": "e", "a": {"id": 1, "m": 7}}])
    promote = [Column("", parse_type("UInt8"), ("a", "m"))]
    result = plan("events", HYBRID, new, promote)
    assert [s.kind for s in result.steps] == ["promote"]
    assert result.steps[0].statements == (
        "ALTER TABLE `events` ADD COLUMN `a__m` Nullable(UInt8) COMMENT '{\"path\":[\"a\",\"m\"]}'",
        "ALTER TABLE `events` UPDATE `a__m` = coalesce(accurateCastOrNull(`json`.a.m.:Int64, 'UInt8'), "
        "accurateCastOrNull(`json`.a.m.:UInt64, 'UInt8')) WHERE 1 SETTINGS mutations_sync = 2")
    assert [c.name for c in result.columns_after(HYBRID)] == ["event", "a__id", "json", "a__m"]
    assert result.unattended(HYBRID).steps == []

"""Kafka coordinate columns: what a table gets, where they sit, and the field names they keep."""

from __future__ import annotations

import pytest

from spotlight_nifi.errors import InferenceError
from spotlight_nifi.infer import coordinates, infer_columns, infer_table
from spotlight_nifi.infer.ddl import column_from_table, comment
from spotlight_nifi.infer.evolve import plan

EVENTS = [{"id": n, "event": ["view", "buy"][n % 2], "at": f"2024-05-01T10:00:0{n}Z"} for n in range(6)]


def test_a_table_with_coordinates_keeps_them_after_its_fields_and_outside_its_sort_key() -> None:
    plain = infer_table(EVENTS, "events")
    inferred = infer_table(EVENTS, "events", kafka_coordinates=True)
    assert inferred.columns == [*plain.columns, *coordinates.COLUMNS]
    assert inferred.create_sql.split("\nENGINE")[1] == plain.create_sql.split("\nENGINE")[1]
    assert "ORDER BY (`event`, `at`)" in inferred.create_sql
    assert inferred.create_sql.split("\n)\nENGINE")[0].splitlines()[-3:] == [
        "    `_kafka_topic` LowCardinality(String) COMMENT '{\"kafka\":\"topic\"}',",
        "    `_kafka_partition` UInt32 COMMENT '{\"kafka\":\"partition\"}',",
        "    `_kafka_offset` UInt64 COMMENT '{\"kafka\":\"offset\"}'"]
    assert inferred.schema == plain.schema, "the records' JSON Schema knows nothing of where they came from"


def test_a_coordinate_column_reads_back_as_itself() -> None:
    for column in coordinates.COLUMNS:
        assert column_from_table(column.name, str(column.type), comment(column)) == column
    assert coordinates.positions([*infer_columns(EVENTS), *coordinates.COLUMNS]) == ((3, 0), (4, 1), (5, 2))


@pytest.mark.parametrize(("records", "kafka", "message"), [
    ([{"id": 1, "_kafka_offset": 3}], False, "table `t`: field `_kafka_offset` is named like column `_kafka_offset`, "
                                             "kept for the record's Kafka offset: rename the field upstream"),
    ([{"id": 1, "_kafka.topic": "x"}], True, "table `t`: field `_kafka.topic` is named like column `_kafka_topic`, "
                                            "kept for the record's Kafka topic: rename the field upstream"),
])
def test_inference_never_gives_a_field_a_coordinate_columns_name(records: list[dict], kafka: bool, message: str) -> None:
    with pytest.raises(InferenceError) as error:
        infer_table(records, "t", kafka_coordinates=kafka)
    assert str(error.value) == message


def test_a_table_that_keeps_coordinates_refuses_samples_whose_json_column_would_hold_one() -> None:
    sparse = [{"id": n, **{f"k{(n * 7 + j) % 1200}": j for j in range(5)}} for n in range(300)]
    sparse[5]["_kafka_topic"] = "mine"
    assert [c.name for c in infer_table(sparse, "t").columns] == ["id", "json"]
    with pytest.raises(InferenceError, match=r"^table `t`: field `_kafka_topic` is named like column `_kafka_topic`"):
        infer_table(sparse, "t", kafka_coordinates=True)


def test_evolution_leaves_coordinate_columns_alone() -> None:
    existing = [*infer_columns([{"a": 1}]), *coordinates.COLUMNS]
    result = plan("events", existing, infer_columns([{"b": 2}]))
    assert [s.sql for s in result.steps] == [
        "ALTER TABLE `events` MODIFY COLUMN `a` Nullable(UInt8) COMMENT '{\"path\":[\"a\"]}'",
        "ALTER TABLE `events` ADD COLUMN `b` Nullable(UInt8) COMMENT '{\"path\":[\"b\"]}'"]


@pytest.mark.parametrize("existing", [[], list(coordinates.COLUMNS), [coordinates.COLUMNS[0]]],
                         ids=["without coordinates", "with coordinates", "with a topic column only"])
def test_evolution_refuses_a_field_named_like_a_coordinate_column(existing: list) -> None:
    result = plan("events", [*infer_columns([{"a": 1}]), *existing], infer_columns([{"a": 1, "_kafka_offset": 2}]))
    assert result.steps == []
    assert result.render().endswith("-- refused: field `_kafka_offset`: field `_kafka_offset` is named like column "
                                    "`_kafka_offset`, kept for the record's Kafka offset: rename the field upstream")

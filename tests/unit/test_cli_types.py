"""`infer` and `load` commands: output and exact error messages through the one error boundary."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from spotlight_nifi.cli import main


@pytest.fixture(autouse=True)
def _workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLICKHOUSE_URL", f"chdb://{tmp_path / 'ch'}")
    monkeypatch.delenv("CLICKHOUSE_STORAGE_POLICY", raising=False)


def run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_:
        main(args)
    return int(exit_.value.code or 0)


ERRORS = [
    ("", ["infer", "empty.jsonl", "--table", "t"], "Error: `empty.jsonl`: no records: the input is empty"),
    ('{"a": 1}\n{"a": \n', ["infer", "bad.jsonl", "--table", "t"],
     "Error: `bad.jsonl` line 2: invalid JSON (unexpected end of data at column 7); "
     "use --skip-invalid to skip such lines"),
    ("[1]\n", ["infer", "notobj.jsonl", "--table", "t"],
     "Error: `notobj.jsonl` line 1: not a JSON object; use --skip-invalid to skip such lines"),
    ("{}\n", ["infer", "emptyrec.jsonl", "--table", "t"],
     "Error: table `t`: every sample record is empty: a table needs at least one column"),
    (None, ["infer", "missing.jsonl", "--table", "t"], "Error: `missing.jsonl`: cannot read: No such file or directory"),
    ('{"a": 1}\n', ["load", "url.jsonl", "--table", "t", "--clickhouse", "ftp://x"],
     "Error: `ftp://x` is not a ClickHouse URL: use `http(s)://host:port` or `chdb:///path`"),
    (None, ["infer", "--table", "t", "--kafka-topic", "events"],
     "Error: `kafka:events`: `--kafka-bootstrap HOST:PORT` is required with `--kafka-topic`"),
]


@pytest.mark.parametrize(("content", "args", "message"), ERRORS, ids=[e[2][:50] for e in ERRORS])
def test_errors(content: str | None, args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    if content is not None:
        Path(args[1]).write_text(content)
    assert run(args) == 1
    assert capsys.readouterr().err.strip() == message


def test_infer_prints_create_table_and_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    Path("s.jsonl").write_text('{"id": 1, "ip": "10.0.0.1"}\n')
    assert run(["infer", "s.jsonl", "--table", "events", "--order-by", "id"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("CREATE TABLE `events`\n(\n    `id` UInt8 COMMENT '{\"path\":[\"id\"]}',\n"
                          "    `ip` IPv4 COMMENT '{\"path\":[\"ip\"]}'\n)\nENGINE = MergeTree\nORDER BY (`id`)\n"
                          "SETTINGS non_replicated_deduplication_window = 10000\n"
                          "COMMENT '{\"$schema\":\"http://json-schema.org/schema#\",\"type\":\"object\",\"properties\":"
                          "{\"id\":{\"type\":\"integer\"},\"ip\":{\"type\":\"string\"}},\"required\":[\"id\",\"ip\"]}';\n")
    assert '"$schema": "http://json-schema.org/schema#"' in out


def test_skip_invalid_then_load_then_evolve(capsys: pytest.CaptureFixture[str]) -> None:
    Path("a.jsonl").write_text('{"id": 1}\nnope\n{"id": 2}\n')
    assert run(["infer", "a.jsonl", "--table", "events", "--skip-invalid", "--apply"]) == 0
    assert run(["load", "a.jsonl", "--table", "events", "--skip-invalid"]) == 0
    assert capsys.readouterr().out.endswith(
        "loaded into `events`: read 3, loaded 2, rejected 1 (reasons in a.jsonl.rejects.jsonl)\n")
    Path("b.jsonl").write_text('{"id": "x"}\n')
    assert run(["infer", "b.jsonl", "--table", "events", "--evolve"]) == 1
    captured = capsys.readouterr()
    assert captured.out == (
        "-- migration plan for `events`: 1 change(s), 1 refused\n"
        "-- 1 of 1 new records do not match the table's JSON Schema (first: record 1, id: 'x' is not of type 'integer')\n"
        "ALTER TABLE `events` MODIFY COMMENT '{\"$schema\":\"http://json-schema.org/schema#\",\"type\":\"object\","
        "\"properties\":{\"id\":{\"type\":[\"integer\",\"string\"]}},\"required\":[\"id\"]}';\n"
        "-- refused: field `id`: column `id`: UInt8 → String is not a safe widening\n")
    assert captured.err.strip() == ("Error: table `events` column `id`: column `id`: UInt8 → String is not a safe "
                                    "widening; nothing was changed")
    Path("c.jsonl").write_text('{"id": 70000, "tag": "t"}\n')
    assert run(["infer", "c.jsonl", "--table", "events", "--evolve", "--apply"]) == 0
    assert run(["load", "c.jsonl", "--table", "events"]) == 0
    assert capsys.readouterr().out.endswith("loaded into `events`: read 1, loaded 1, rejected 0\n")


def test_query_prints_rows_and_names_a_refused_statement(capsys: pytest.CaptureFixture[str]) -> None:
    Path("q.jsonl").write_text('{"id": 1, "tag": "a"}\n{"id": 2, "tag": null}\n')
    assert run(["load", "q.jsonl", "--table", "q"]) == 0
    capsys.readouterr()
    assert run(["query", "SELECT id, tag FROM q ORDER BY id"]) == 0
    assert capsys.readouterr().out == "1\ta\n2\t\n"
    assert run(["query", "SELECT nope FROM q"]) == 1
    assert capsys.readouterr().err.startswith("Error: ClickHouse refused `SELECT nope FROM q`: Code: 47.")


def test_storage_policy_applies_to_server_targets_only(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    Path("s.jsonl").write_text('{"id": 1}\n')
    monkeypatch.setenv("CLICKHOUSE_STORAGE_POLICY", "s3")
    assert run(["infer", "s.jsonl", "--table", "events"]) == 0
    assert "storage_policy" not in capsys.readouterr().out
    assert run(["infer", "s.jsonl", "--table", "events", "--clickhouse", "http://localhost:8123"]) == 0
    assert "ORDER BY tuple()\nSETTINGS non_replicated_deduplication_window = 10000, storage_policy = 's3'\nCOMMENT '" in capsys.readouterr().out


def test_explain_prints_the_layout_and_its_thresholds(capsys: pytest.CaptureFixture[str]) -> None:
    records = [{"event": f"e{i % 40}", f"k{i % 40}": {f"f{j}": j for j in range(30)}} for i in range(200)]
    Path("h.jsonl").write_text("\n".join(orjson.dumps(r).decode() for r in records))
    assert run(["infer", "h.jsonl", "--table", "events", "--explain", "--apply"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [
        "-- layout: typed columns + JSON: 1,201 leaf paths in 200 records flattened would be 1,201 columns (> 1,000)",
        "-- typed: a column for each of the 1 paths with a value in ≥ 30% of records and one type (at most 256): `event`"]
    assert out[2].startswith("-- json: `json` holds every other path, and any new one (1,200 seen): 0 typed path hints")
    assert run(["query", "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'events' ORDER BY position"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "event\tLowCardinality(String)" and rows[1] == "json\tJSON(max_dynamic_paths=256)"


def test_json_column_and_type_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    Path("p.jsonl").write_text('{"id": 1, "payload": {"n": 5, "s": "x"}}\n')
    assert run(["infer", "p.jsonl", "--table", "p", "--json-column", "payload", "--type", "payload.n=UInt32",
                "--type", "id=UInt64"]) == 0
    assert capsys.readouterr().out.startswith(
        "CREATE TABLE `p`\n(\n    `id` UInt64 COMMENT '{\"path\":[\"id\"]}',\n"
        "    `payload` JSON(max_dynamic_paths=16, `n` Nullable(UInt32)) COMMENT '{\"path\":[\"payload\"]}'\n)")


@pytest.mark.parametrize(("option", "message"), [
    ("id=Map(String, UInt8)", "Error: table `t`: the caster cannot write ClickHouse type Map(String, UInt8)"),
    ("id", "Error: table `t`: type override 'id' is not PATH=TYPE"),
    ("nope=UInt8", "Error: table `t`: `--type nope`: the samples have no field `nope` and it is not under a `--json-column`"),
])
def test_a_bad_type_override_names_it(option: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    Path("t.jsonl").write_text('{"id": 1}\n')
    assert run(["infer", "t.jsonl", "--table", "t", "--type", option]) == 1
    assert capsys.readouterr().err.strip() == message


def test_kafka_coordinates_add_three_columns_that_a_file_cannot_fill(capsys: pytest.CaptureFixture[str]) -> None:
    Path("k.jsonl").write_text('{"id": 1}\n')
    assert run(["infer", "k.jsonl", "--table", "k", "--kafka-coordinates", "--apply"]) == 0
    capsys.readouterr()
    assert run(["query", "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'k' "
                         "ORDER BY position"]) == 0
    assert capsys.readouterr().out == ("id\tUInt8\n_kafka_topic\tLowCardinality(String)\n_kafka_partition\tUInt32\n"
                                       "_kafka_offset\tUInt64\n")
    assert run(["load", "k.jsonl", "--table", "k"]) == 0
    assert capsys.readouterr().out.endswith("read 1, loaded 0, rejected 1 (reasons in k.jsonl.rejects.jsonl)\n")
    assert orjson.loads(Path("k.jsonl.rejects.jsonl").read_bytes())["reason"].startswith(
        "the record's Kafka topic is unknown, and column `_kafka_topic` needs it")
    assert run(["infer", "k.jsonl", "--table", "k", "--kafka-coordinates", "--evolve"]) == 1
    assert capsys.readouterr().err.strip() == (
        "Error: table `k`: `--kafka-coordinates` is for a new table: rows already stored have no coordinates "
        "(docs/failures.md says how to add the columns by hand)")

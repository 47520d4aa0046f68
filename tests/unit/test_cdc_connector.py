"""The Debezium connector of a captured table: names, configuration, and that secrets stay out of it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from spotlight_nifi.cdc import connector
from spotlight_nifi.cdc.errors import CdcError

DSN = "host=db.internal port=5433 user=cdc password=s3cret dbname=shop"


def test_names_derive_from_the_database_schema_and_table() -> None:
    assert connector.names("shop", "Sales", "Order-Lines") == connector.Names(
        "spotlight-cdc.shop.Sales.Order-Lines", "spotlight_sales_order_lines", "spotlight_sales_order_lines",
        "spotlight.shop.Sales.Order-Lines", "spotlight.shop.Sales.Order-Lines")


def test_a_long_slot_name_stays_within_postgresql_limit_and_unique() -> None:
    a, b = connector.names("db", "s", "t" * 80 + "a"), connector.names("db", "s", "t" * 80 + "b")
    assert len(a.slot) == 63 and a.slot != b.slot and a.slot.startswith("spotlight_s_ttt")


def test_the_configuration_captures_one_table_through_pgoutput_with_flat_rows() -> None:
    config = connector.config(DSN, "public", "orders", "orders_ch", exclude=("secret_note",))
    assert {key: config[key] for key in (
        "connector.class", "plugin.name", "database.hostname", "database.port", "database.user", "database.dbname",
        "table.include.list", "column.exclude.list", "slot.name", "publication.name", "publication.autocreate.mode",
        "topic.prefix", "transforms", "transforms.route.regex", "transforms.route.replacement", "snapshot.mode", "heartbeat.interval.ms", "decimal.handling.mode", "time.precision.mode",
        "transforms.unwrap.type", "transforms.unwrap.add.fields", "transforms.unwrap.delete.tombstone.handling.mode",
        "value.converter", "value.converter.schemas.enable", connector.CLICKHOUSE_TABLE)} == {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector", "plugin.name": "pgoutput",
        "database.hostname": "db.internal", "database.port": "5433", "database.user": "cdc", "database.dbname": "shop",
        "table.include.list": "public.orders", "column.exclude.list": "public.orders.secret_note",
        "slot.name": "spotlight_public_orders", "publication.name": "spotlight_public_orders",
        "publication.autocreate.mode": "filtered", "topic.prefix": "spotlight.shop.public.orders",
        "transforms": "unwrap,route", "transforms.route.regex": r"spotlight\.shop\.public\.orders\.public\.orders",
        "transforms.route.replacement": "spotlight.shop.public.orders", "snapshot.mode": "initial",
        "heartbeat.interval.ms": "10000", "decimal.handling.mode": "string",
        "time.precision.mode": "adaptive_time_microseconds",
        "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
        "transforms.unwrap.add.fields": "lsn,op", "transforms.unwrap.delete.tombstone.handling.mode": "rewrite",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
        connector.CLICKHOUSE_TABLE: "orders_ch"}


def test_a_password_reference_replaces_the_password() -> None:
    config = connector.config(DSN, "public", "orders", "orders", password_ref="${env:PG_PASSWORD}")
    assert config["database.password"] == "${env:PG_PASSWORD}"
    assert "s3cret" not in repr(config)


def test_without_a_reference_the_dsn_password_is_sent_and_without_one_none() -> None:
    assert connector.config(DSN, "public", "orders", "orders")["database.password"] == "s3cret"
    assert "database.password" not in connector.config("host=h dbname=shop", "public", "orders", "orders")


def test_the_address_connect_reaches_postgresql_at_overrides_the_dsn() -> None:
    config = connector.config(DSN, "public", "orders", "orders", address="postgres:5432")
    assert (config["database.hostname"], config["database.port"]) == ("postgres", "5432")
    with pytest.raises(CdcError, match="`CDC_CONNECT_SOURCE_ADDRESS` is `postgres`, not HOST:PORT"):
        connector.config(DSN, "public", "orders", "orders", address="postgres")


def test_an_unreachable_kafka_connect_names_its_url_and_the_key() -> None:
    with pytest.raises(CdcError) as error:
        connector.Connect("http://127.0.0.1:9", secret="s3cret").status("x")
    assert str(error.value).startswith("cannot reach Kafka Connect at `http://127.0.0.1:9`: ")
    assert "`KAFKA_CONNECT_URL`" in str(error.value)


def test_two_tables_of_one_database_get_their_own_topic_prefix() -> None:
    """Debezium names its metrics after the prefix: a shared one keeps the second connector from starting."""
    first, second = (connector.config(DSN, "public", table, table) for table in ("orders", "lines"))
    assert first["topic.prefix"] != second["topic.prefix"]


class _Refusing(BaseHTTPRequestHandler):
    """A Kafka Connect that refuses every request, repeating the configuration it was sent."""

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        reply = b'{"error_code": 400, "message": "bad config: ' + body.replace(b'"', b"'") + b'"}'
        self.send_response(400)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refusing_connect() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_an_error_from_kafka_connect_never_repeats_the_password(refusing_connect: str) -> None:
    with pytest.raises(CdcError) as error:
        connector.Connect(refusing_connect, secret="s3cret").put("c", connector.config(DSN, "public", "orders", "orders"))
    assert "bad config" in str(error.value) and "s3cret" not in str(error.value) and "***" in str(error.value)

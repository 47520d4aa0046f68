"""One flow source, compiled for each NiFi release: keys, values and bundle versions per target.

Expected keys are NiFi's own descriptor names, read from its sources at rel/nifi-2.3.0 … 2.11.0 and
the 2.12.0 line; the record-serialization and DBCP rows are also proven against the real 2.3.0 NARs.
"""

from __future__ import annotations

from collections.abc import Callable
from unittest.mock import ANY

import pytest

from spotlight_nifi.errors import ConfigError
from spotlight_nifi.flow import components as c
from spotlight_nifi.flow.compile import compile_flow
from spotlight_nifi.flow.manifest import RuntimeManifest
from spotlight_nifi.flow.model import Bundle, ControllerService, Flow, Processor
from spotlight_nifi.flow.property_changes import RENAMED, TARGET_VERSIONS
from spotlight_nifi.flow.release import PINNED, release
from spotlight_nifi.versions import NIFI_VERSION

OLD, NEW = "2.3.0", NIFI_VERSION


ROUND_ROBIN_2_3 = "org.apache.nifi.processors.kafka.pubsub.Partitioners.RoundRobinPartitioner"
ROUND_ROBIN_2_4 = "org.apache.kafka.clients.producer.RoundRobinPartitioner"


def _pool() -> ControllerService:
    return c.dbcp_pool("Pool", url="jdbc:x", driver_class="D", driver_locations="/d.jar", user="u", password="#{p}",
                       properties={"Validation Query": "SELECT 1"})


def _put(reader: ControllerService, pool: ControllerService) -> Processor:
    return c.put_database_record("Put", reader=reader, pool=pool, table="t",
                                 properties={"Quote Column Identifiers": "true", "Database Name": "db"})


def compiled(make: Callable[[Flow], object], version: str) -> dict:
    """The one component `make` adds (besides the services it uses), compiled for `version`."""
    flow = Flow("Keys")
    made = make(flow)
    contents = compile_flow(flow, release(version))["flowContents"]
    return next(item for item in [*contents["processors"], *contents["controllerServices"]]
                if item["name"] == made.name)  # type: ignore[attr-defined]


def reader(flow: Flow) -> object:
    return flow.add(c.json_reader())


def pool(flow: Flow) -> object:
    return flow.add(_pool())


def with_services(build: Callable[[ControllerService, ControllerService], Processor]) -> Callable[[Flow], object]:
    return lambda flow: flow.add(build(flow.add(c.json_reader()), flow.add(_pool())))


def writer(flow: Flow) -> object:
    return flow.add(c.json_writer())


def validate_record(flow: Flow) -> object:
    return flow.add(c.validate_record("Validate", reader=flow.add(c.json_reader()),
                                      writer=flow.add(c.json_writer())))


def listen(flow: Flow) -> object:
    return flow.add(c.listen_http("Listen", port="8081", base_path="events",
                                  properties={"Maximum Thread Pool Size": "20"}))


def kafka(flow: Flow) -> object:
    return flow.add(c.kafka_connection(bootstrap_servers="b:9092", properties={"sasl.password": "#{p}"}))


def consume(flow: Flow) -> object:
    connection = flow.add(c.kafka_connection(bootstrap_servers="b:9092"))
    return flow.add(c.consume_kafka("Consume", connection=connection, topics="t", group_id="g",
                                    reader=flow.add(c.json_reader()), writer=flow.add(c.json_writer())))


def publish(flow: Flow) -> object:
    connection = flow.add(c.kafka_connection(bootstrap_servers="b:9092"))
    return flow.add(c.publish_kafka("Publish", connection=connection, topic="t", properties={
        "partitioner.class": ROUND_ROBIN_2_4}))


def route(flow: Flow) -> object:
    return flow.add(c.route_on_attribute("Route", {"big": "${size:gt(10)}"}))


def tag(flow: Flow) -> object:
    return flow.add(c.update_attribute("Tag", {"team": "data"}))


def case(id: str, make: Callable[[Flow], object], version: str, expected: dict[str, object]):
    return pytest.param(make, version, expected, id=f"{id}-{version}")


WRITER_2_3 = {"Schema Write Strategy": "no-schema", "schema-access-strategy": "inherit-record-schema",
              "output-grouping": "output-oneline", "Allow Scientific Notation": "false"}
WRITER_2_7 = {"Schema Write Strategy": "no-schema", "Schema Access Strategy": "inherit-record-schema",
              "Output Grouping": "output-oneline", "Allow Scientific Notation": "false"}
POOL_COMMON = {"Database Connection URL": "jdbc:x", "Database Driver Class Name": "D", "Database User": "u",
               "Password": "#{p}"}
PUT_2_3 = {"put-db-record-record-reader": ANY, "db-type": "Generic", "put-db-record-statement-type": "INSERT",
           "put-db-record-dcbp-service": ANY, "put-db-record-table-name": "t",
           "put-db-record-quoted-identifiers": "true", "put-db-record-catalog-name": "db"}
PUT_2_7 = {"Record Reader": ANY, "Database Type": "Generic", "Statement Type": "INSERT",
           "Database Connection Pooling Service": ANY, "Table Name": "t", "Quote Column Identifiers": "true",
           "Database Name": "db"}
CONSUME = {"Kafka Connection Service": ANY, "Group ID": "g", "Topic Format": "names", "Topics": "t",
           "auto.offset.reset": "earliest", "Commit Offsets": "true", "Processing Strategy": "RECORD",
           "Record Reader": ANY, "Record Writer": ANY, "Output Strategy": "USE_WRAPPER"}
KAFKA = {"bootstrap.servers": "b:9092", "security.protocol": "PLAINTEXT", "sasl.password": "#{p}"}


def publish_with(partitioner: str) -> dict[str, object]:
    return {"Kafka Connection Service": ANY, "Topic Name": "t", "partitioner.class": partitioner}


CASES = [
    case("JsonTreeReader", reader, OLD, {"schema-access-strategy": "infer-schema"}),
    case("JsonTreeReader", reader, "2.6.0", {"schema-access-strategy": "infer-schema"}),
    case("JsonTreeReader", reader, "2.7.0", {"Schema Access Strategy": "infer-schema"}),
    case("JsonTreeReader", reader, NEW, {"Schema Access Strategy": "infer-schema"}),
    case("JsonRecordSetWriter", writer, OLD, WRITER_2_3),
    case("JsonRecordSetWriter", writer, NEW, WRITER_2_7),
    case("DBCPConnectionPool", pool, OLD, {**POOL_COMMON, "database-driver-locations": "/d.jar",
                                          "Validation-query": "SELECT 1"}),
    case("DBCPConnectionPool", pool, NEW, {**POOL_COMMON, "Database Driver Locations": "/d.jar",
                                          "Validation Query": "SELECT 1"}),
    case("PutDatabaseRecord", with_services(_put), OLD, PUT_2_3),
    case("PutDatabaseRecord", with_services(_put), "2.6.0", PUT_2_3),
    case("PutDatabaseRecord", with_services(_put), "2.7.0", PUT_2_7),
    case("PutDatabaseRecord", with_services(_put), NEW, PUT_2_7),
    case("ValidateRecord", validate_record, OLD, {"record-reader": ANY, "record-writer": ANY}),
    case("ValidateRecord", validate_record, NEW, {"Record Reader": ANY, "Record Writer": ANY}),
    case("ListenHTTP", listen, OLD, {"Base Path": "events", "Listening Port": "8081", "max-thread-pool-size": "20",
                                     "HTTP Headers to receive as Attributes (Regex)": "Spotlight-Batch"}),
    case("ListenHTTP", listen, NEW, {"Base Path": "events", "Listening Port": "8081",
                                     "Maximum Thread Pool Size": "20", "HTTP Headers for Attributes": "Spotlight-Batch"}),
    case("Kafka3ConnectionService", kafka, OLD, KAFKA),
    case("Kafka3ConnectionService", kafka, NEW, KAFKA),
    case("ConsumeKafka", consume, OLD, CONSUME),
    case("ConsumeKafka", consume, NEW, CONSUME),
    case("PublishKafka", publish, OLD, publish_with(ROUND_ROBIN_2_3)),
    case("PublishKafka", publish, "2.4.0", publish_with(ROUND_ROBIN_2_4)),
    case("PublishKafka", publish, NEW, publish_with(ROUND_ROBIN_2_4)),
    case("RouteOnAttribute", route, OLD, {"Routing Strategy": "Route to Property name", "big": "${size:gt(10)}"}),
    case("RouteOnAttribute", route, NEW, {"Routing Strategy": "Route to Property name", "big": "${size:gt(10)}"}),
    case("UpdateAttribute", tag, OLD, {"team": "data"}),
    case("UpdateAttribute", tag, NEW, {"team": "data"}),
]


@pytest.mark.parametrize(("make", "version", "expected"), CASES)
def test_keys_and_values_per_release(make: Callable[[Flow], object], version: str, expected: dict) -> None:
    assert compiled(make, version)["properties"] == expected


def test_descriptors_follow_the_keys_and_keep_sensitivity() -> None:
    service = compiled(pool, OLD)
    assert service["propertyDescriptors"]["database-driver-locations"]["name"] == "database-driver-locations"
    assert service["propertyDescriptors"]["database-driver-locations"]["displayName"] == "Database Driver Locations"
    assert service["propertyDescriptors"]["Password"]["sensitive"] is True
    put = compiled(with_services(_put), OLD)
    assert put["propertyDescriptors"]["put-db-record-dcbp-service"]["identifiesControllerService"] is True


def test_nifi_bundles_follow_the_target_and_python_bundles_do_not() -> None:
    flow = Flow("Bundles")
    flow.add(c.consume_kafka("Consume", connection=flow.add(c.kafka_connection(bootstrap_servers="b")),
                             topics="t", group_id="g", reader=flow.add(c.json_reader()),
                             writer=flow.add(c.json_writer())))
    flow.add(c.annotate_failure("Annotate", flow_name="Bundles", auto_terminate=("success", "failure", "original")))
    contents = compile_flow(flow, release(OLD))["flowContents"]
    services = contents["controllerServices"]
    assert {s["bundle"]["version"] for s in services} == {OLD}
    assert {a["bundle"]["version"] for s in services for a in s["controllerServiceApis"]} == {OLD}
    versions = {p["name"]: p["bundle"] for p in contents["processors"]}
    assert versions["Consume"] == {"group": "org.apache.nifi", "artifact": "nifi-kafka-nar", "version": OLD}
    assert versions["Annotate"]["artifact"] == "python-extensions" and versions["Annotate"]["version"] != OLD


def test_a_component_pinned_to_its_own_bundle_version_is_left_as_written() -> None:
    flow = Flow("Pinned")
    flow.add(c.service("Reader", "org.apache.nifi.json.JsonTreeReader", "nifi-record-serialization-services-nar",
                       {"Schema Access Strategy": "infer-schema"},
                       bundle=Bundle.nifi("nifi-record-serialization-services-nar", "2.7.0")))
    service = compile_flow(flow, release(OLD))["flowContents"]["controllerServices"][0]
    assert service["bundle"]["version"] == "2.7.0"
    assert service["properties"] == {"Schema Access Strategy": "infer-schema"}


def test_the_default_target_is_the_pinned_release() -> None:
    flow = Flow("Default")
    flow.add(c.json_reader())
    assert compile_flow(flow) == compile_flow(flow, release(NEW))
    assert PINNED.version == NEW and release(NEW) is PINNED


def test_every_known_release_compiles_and_renames_only_what_changed_by_then() -> None:
    before_2_7 = {"2.3.0", "2.4.0", "2.5.0", "2.6.0"}
    for version in TARGET_VERSIONS:
        properties = compiled(with_services(_put), version)["properties"]
        assert ("put-db-record-table-name" if version in before_2_7 else "Table Name") in properties, version


def test_a_key_renamed_twice_goes_back_to_the_target_s_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from spotlight_nifi.flow import property_changes, release as release_module

    chain = (*RENAMED, property_changes.Renamed("org.apache.nifi.json.JsonTreeReader", "schema-access-strategy",
                                                "access-strategy", "2.5.0"))
    monkeypatch.setattr(release_module, "RENAMED", chain)
    keys = {v: next(iter(compiled(reader, v)["properties"])) for v in (OLD, "2.5.0", "2.7.0")}
    assert keys == {OLD: "access-strategy", "2.5.0": "schema-access-strategy", "2.7.0": "Schema Access Strategy"}


def test_an_unknown_version_is_one_line_naming_it_and_the_known_ones() -> None:
    with pytest.raises(ConfigError) as error:
        release("2.4.1")
    assert str(error.value) == (
        "NiFi version `2.4.1` is not a known target (known: " + ", ".join(TARGET_VERSIONS)
        + f"; default: the pinned {NIFI_VERSION}); a newer release needs its key changes checked into "
        "spotlight_nifi/flow/property_changes.py first")
    assert error.value.variable == "NIFI_VERSION"


@pytest.mark.parametrize("row", [r for r in RENAMED if r.type in {
    "org.apache.nifi.json.JsonTreeReader", "org.apache.nifi.json.JsonRecordSetWriter",
    "org.apache.nifi.dbcp.DBCPConnectionPool"}], ids=lambda r: f"{r.type.rsplit('.', 1)[1]}:{r.key}")
def test_2_3_0_keys_are_what_the_real_2_3_0_nars_document(real_manifest: RuntimeManifest, row) -> None:
    spec = real_manifest.find(row.type)
    assert spec is not None and spec.bundle.version == OLD
    assert spec.property(row.before) is not None, f"2.3.0 has no `{row.before}`"
    assert spec.property(row.key) is None, f"2.3.0 already calls it `{row.key}`"


@pytest.mark.parametrize("type", ["org.apache.nifi.json.JsonTreeReader", "org.apache.nifi.json.JsonRecordSetWriter",
                                  "org.apache.nifi.dbcp.DBCPConnectionPool"])
def test_every_2_3_0_key_that_is_not_its_display_name_is_in_the_table(real_manifest: RuntimeManifest,
                                                                      type: str) -> None:
    spec = real_manifest.find(type)
    assert spec is not None
    odd = {p.name for p in spec.properties.values() if p.name != p.display_name}
    assert odd <= {r.before for r in RENAMED if r.type == type}

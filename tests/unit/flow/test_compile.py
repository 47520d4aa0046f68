"""Compiling flows: stable identifiers, byte-identical output, NiFi's own format, no secrets."""

from __future__ import annotations

import json
import uuid

import pytest
from nipyapi.nifi import ApiClient

from spotlight_nifi.errors import FlowDefinitionError
from spotlight_nifi.flow import components as c
from spotlight_nifi.flow.compile import compile_flow, to_json
from spotlight_nifi.flow.model import Flow, Funnel, Parameter, ParameterContext, ProcessGroup, Port
from spotlight_nifi.flow.template import Topic, ingest_flow


def sample_flow(name: str = "Orders") -> Flow:
    return ingest_flow(name, [Topic("orders", table="orders"), Topic("refunds", table="refunds")])


def all_components(group: dict) -> list[dict]:
    found = [group]
    for key in ("processors", "controllerServices", "funnels", "inputPorts", "outputPorts", "labels", "connections"):
        found += group.get(key, [])
    for child in group.get("processGroups", []):
        found += all_components(child)
    return found


def test_two_builds_are_byte_identical() -> None:
    assert to_json(compile_flow(sample_flow())) == to_json(compile_flow(sample_flow()))


def test_identifiers_are_uuids_unique_and_depend_only_on_paths() -> None:
    first = all_components(compile_flow(sample_flow())["flowContents"])
    ids = [item["identifier"] for item in first]
    assert len(ids) == len(set(ids))
    assert all(uuid.UUID(i).version == 5 for i in ids)
    other = all_components(compile_flow(sample_flow("Refunds"))["flowContents"])
    assert not set(ids) & {item["identifier"] for item in other}


def test_adding_a_topic_keeps_every_existing_identifier() -> None:
    before = {i["identifier"] for i in all_components(compile_flow(sample_flow())["flowContents"])}
    bigger = ingest_flow("Orders", [Topic("orders", table="orders"), Topic("refunds", table="refunds"),
                                    Topic("carts", table="carts")])
    after = {i["identifier"] for i in all_components(compile_flow(bigger)["flowContents"])}
    assert before <= after and len(after) > len(before)


def test_output_round_trips_through_nipyapi_registered_flow_snapshot() -> None:
    text = to_json(compile_flow(sample_flow()))

    class Response:
        data = text

    client = ApiClient()
    snapshot = client.deserialize(Response(), "RegisteredFlowSnapshot")
    assert type(snapshot).__name__ == "RegisteredFlowSnapshot"
    assert client.sanitize_for_serialization(snapshot) == json.loads(text)


def test_references_use_identifiers_and_connections_name_their_groups() -> None:
    contents = compile_flow(sample_flow())["flowContents"]
    services = {s["name"]: s["identifier"] for s in contents["controllerServices"]}
    orders = contents["processGroups"][0]
    consume = next(p for p in orders["processors"] if p["type"].endswith("ConsumeKafka"))
    assert consume["properties"]["Kafka Connection Service"] == services["Kafka"]
    assert consume["propertyDescriptors"]["Kafka Connection Service"]["identifiesControllerService"] is True
    for connection in orders["connections"]:
        assert connection["groupIdentifier"] == orders["identifier"]
        assert connection["source"]["groupId"] == orders["identifier"]


def test_secrets_never_have_values() -> None:
    snapshot = compile_flow(sample_flow())
    parameters = {p["name"]: p for p in snapshot["parameterContexts"]["spotlight"]["parameters"]}
    assert parameters["clickhouse.password"]["sensitive"] is True
    assert "value" not in parameters["clickhouse.password"]
    assert "CLICKHOUSE_PASSWORD" in parameters["clickhouse.password"]["description"]
    cast = snapshot["flowContents"]["processGroups"][0]["processors"][1]
    assert cast["properties"]["ClickHouse Password"] == "#{clickhouse.password}"
    assert cast["propertyDescriptors"]["ClickHouse Password"]["sensitive"] is True


def test_a_sensitive_parameter_refuses_a_value() -> None:
    with pytest.raises(ValueError, match="sensitive parameter `db.password` must not carry a value"):
        Parameter("db.password", "hunter2", sensitive=True)


def test_no_relationship_that_carries_data_is_auto_terminated_in_the_template() -> None:
    for group in compile_flow(sample_flow())["flowContents"]["processGroups"]:
        for processor in group["processors"]:
            assert "failure" not in processor["autoTerminatedRelationships"]
            assert "parse failure" not in processor["autoTerminatedRelationships"]
            assert "retry" not in processor["autoTerminatedRelationships"]


def flow_with(group_builder) -> Flow:
    flow = Flow("Broken")
    group_builder(flow)
    return flow


@pytest.mark.parametrize(
    ("builder", "message"),
    [
        (lambda f: (f.add(Funnel("Merge")), f.add(Funnel("Merge"))),
         "flow `Broken` at `Broken/Merge`: duplicate name: a funnel and a funnel are both called `Merge`; "
         "names must be unique within a process group"),
        (lambda f: (f.add(Funnel("Merge")), f.connect("Merge", "Nowhere")),
         "flow `Broken` at `Broken`: connection destination `Nowhere` does not exist in this group "
         "(components: Merge)"),
        (lambda f: f.connect(f.add(Funnel("A")), f.add(ProcessGroup("Inner")).add(Funnel("B"))),
         "flow `Broken` at `Broken`: connection destination `B` is not a component of this group "
         "(it is at `Broken/Inner/B`): add it to the group, or connect through ports"),
        (lambda f: f.connect(f.add(c.update_attribute("Tag", {"a": "1"})), f.add(Funnel("Out"))),
         "flow `Broken` at `Broken/Tag`: connection to `Out` selects no relationship; name at least one "
         "(e.g. \"success\")"),
        (lambda f: f.add(ProcessGroup("Inner")).add(c.validate_record(
            "Check", reader=f.add(ProcessGroup("Other")).add(c.json_reader()), writer=c.json_writer())),
         "flow `Broken` at `Broken/Inner/Check`: property `Record Reader` names controller service `JSON reader`, "
         "which is not in this group or a group above it: add the service to the group or an ancestor"),
        (lambda f: f.add(Funnel("")),
         "flow `Broken` at `Broken`: a funnel has an empty name"),
        (lambda f: (lambda shared: (f.add(ProcessGroup("A")).add(shared), f.add(ProcessGroup("B")).add(shared)))(
            ProcessGroup("Shared")),
         "flow `Broken` at `Broken/B/Shared`: the same process group object is also added at `Broken/A/Shared`; "
         "create one per place (call the function that builds it again)"),
    ],
    ids=["duplicate-name", "missing-component", "component-of-other-group", "no-relationship",
         "service-out-of-scope", "empty-name", "group-added-twice"],
)
def test_structural_mistakes_name_the_place(builder, message: str) -> None:
    with pytest.raises(FlowDefinitionError) as error:
        compile_flow(flow_with(builder))
    assert str(error.value) == message


def test_a_child_groups_ports_connect_from_the_parent() -> None:
    flow = Flow("Ports")
    inner = flow.add(ProcessGroup("Inner"))
    port = inner.add(Port("In", kind="INPUT_PORT"))
    inner.connect(port, inner.add(Funnel("Sink")))
    flow.connect(flow.add(Funnel("Source")), "Inner/In")
    contents = compile_flow(flow)["flowContents"]
    connection = contents["connections"][0]
    assert connection["destination"]["type"] == "INPUT_PORT"
    assert connection["destination"]["groupId"] == contents["processGroups"][0]["identifier"]
    assert contents["processGroups"][0]["inputPorts"][0]["identifier"] == connection["destination"]["id"]


def test_parameter_contexts_are_collected_once_by_name() -> None:
    shared = ParameterContext("shared", [Parameter("a", "1")])
    flow = Flow("Params", parameter_context=shared)
    flow.add(ProcessGroup("Inner", parameter_context=shared))
    snapshot = compile_flow(flow)
    assert list(snapshot["parameterContexts"]) == ["shared"]
    assert snapshot["flowContents"]["processGroups"][0]["parameterContextName"] == "shared"


def test_cast_success_reaches_both_the_sink_and_the_failure_path() -> None:
    """CastToClickHouse writes good and bad records into one success FlowFile, so that relationship must
    reach InsertClickHouse and AnnotateFailure, and annotations must reach the failure inbox."""
    group = compile_flow(sample_flow())["flowContents"]["processGroups"][0]
    names = {p["identifier"]: p["name"] for p in group["processors"]}
    routes = {(names[x["source"]["id"]], names[x["destination"]["id"]]): sorted(x["selectedRelationships"])
              for x in group["connections"]}
    assert routes[("Cast to column types", "Insert into orders")] == ["success"]
    assert routes[("Cast to column types", "Annotate failure")] == ["failure", "success"]
    assert routes[("Consume orders", "Annotate failure")] == ["parse failure"]
    assert routes[("Insert into orders", "Annotate failure")] == ["failure"]
    assert routes[("Annotate failure", "Write to failure DB")] == ["success"]
    writer = next(p for p in group["processors"] if p["name"] == "Write to failure DB")
    assert writer["properties"]["Table Name"] == "failure_inbox"
    assert writer["properties"]["Quote Column Identifiers"] == "true", "`offset` is reserved in PostgreSQL"


def test_typed_constructors_name_their_nifi_types_bundles_and_keys() -> None:
    """Types, NARs and keys as NiFi 2.11/2.12 sources define them (docs/nifi-component-keys.md)."""
    flow = Flow("Typed")
    kafka = flow.add(c.kafka_connection(bootstrap_servers="b:9092"))
    publish = flow.add(c.publish_kafka("Publish", connection=kafka, topic="out"))
    route = flow.add(c.route_on_attribute("Route", {"big": "${size:gt(10)}"}))
    tag = flow.add(c.update_attribute("Tag", {"team": "data"}))
    flow.connect(route, publish, "big")
    flow.connect(route, tag, "unmatched")
    processors = {p["name"]: p for p in compile_flow(flow)["flowContents"]["processors"]}
    assert processors["Publish"]["type"] == "org.apache.nifi.kafka.processors.PublishKafka"
    assert processors["Publish"]["bundle"]["artifact"] == "nifi-kafka-nar"
    assert set(processors["Publish"]["properties"]) == {"Kafka Connection Service", "Topic Name"}
    assert processors["Route"]["properties"] == {"Routing Strategy": "Route to Property name", "big": "${size:gt(10)}"}
    assert processors["Tag"]["bundle"]["artifact"] == "nifi-update-attribute-nar"
    service = compile_flow(flow)["flowContents"]["controllerServices"][0]
    assert service["controllerServiceApis"][0]["type"] == "org.apache.nifi.kafka.service.api.KafkaConnectionService"
    assert service["bundle"]["artifact"] == "nifi-kafka-3-service-nar"

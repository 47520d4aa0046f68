"""The ingest template: Kafka topics and HTTP batches in front of one cast → insert → failure chain."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotlight_nifi.flow.compile import compile_flow
from spotlight_nifi.flow.loader import discover
from spotlight_nifi.flow.manifest import RuntimeManifest
from spotlight_nifi.flow.release import release
from spotlight_nifi.flow.target import with_project_processors
from spotlight_nifi.flow.template import HttpIngress, Topic, ingest_flow
from spotlight_nifi.flow.validate import validate

ROOT = Path(__file__).resolve().parents[3]
LOCAL = "2.3.0"
CHAIN = {
    ("Cast to column types", "Insert into events"): ["success"],
    ("Cast to column types", "Annotate failure"): ["failure", "success"],
    ("Insert into events", "Annotate failure"): ["failure"],
    ("Annotate failure", "Annotate failure"): ["failure"],
    ("Annotate failure", "Write to failure DB"): ["success"],
    ("Write to failure DB", "Write to failure DB"): ["failure", "retry"],
}


def routes(group: dict) -> dict[tuple[str, str], list[str]]:
    names = {p["identifier"]: p["name"] for p in group["processors"]}
    return {(names[x["source"]["id"]], names[x["destination"]["id"]]): x["selectedRelationships"]
            for x in group["connections"]}


def test_both_ingresses_feed_the_same_chain() -> None:
    flow = ingest_flow("Both", [Topic("events", table="events"), HttpIngress("events", table="events")])
    kafka, http = compile_flow(flow)["flowContents"]["processGroups"]
    assert routes(kafka) == {**CHAIN, ("Consume events", "Cast to column types"): ["success"],
                             ("Consume events", "Annotate failure"): ["parse failure"]}
    assert routes(http) == {**CHAIN, ("Listen for HTTP batches", "Cast to column types"): ["success"]}
    assert http["name"] == "HTTP events → events"
    assert [p["name"] for p in kafka["processors"]][1:] == [p["name"] for p in http["processors"]][1:]


def test_http_ingress_listens_on_parameters_filled_from_env() -> None:
    snapshot = compile_flow(ingest_flow("Batches", [HttpIngress("events", table="events", port=9191)]))
    listen = snapshot["flowContents"]["processGroups"][0]["processors"][0]
    assert listen["type"] == "org.apache.nifi.processors.standard.ListenHTTP"
    assert listen["properties"] == {"Base Path": "#{http.ingress.base.path}", "Listening Port": "#{http.ingress.port}",
                                    "HTTP Headers for Attributes": "Spotlight-Batch"}
    assert listen["autoTerminatedRelationships"] == []
    parameters = {p["name"]: p for p in snapshot["parameterContexts"]["spotlight"]["parameters"]}
    assert parameters["http.ingress.port"]["value"] == "9191"
    assert "NIFI_HTTP_INGRESS_PORT" in parameters["http.ingress.port"]["description"]
    assert parameters["http.ingress.base.path"]["value"] == "events"
    assert "NIFI_HTTP_INGRESS_BASE_PATH" in parameters["http.ingress.base.path"]["description"]


def test_a_flow_without_topics_has_no_kafka_service() -> None:
    services = compile_flow(ingest_flow("Batches", [HttpIngress("events", table="events")]))["flowContents"][
        "controllerServices"]
    assert [s["name"] for s in services] == ["JSON reader", "Failure DB"]


def test_two_http_ingresses_need_their_own_parameters() -> None:
    flow = ingest_flow("Two", [HttpIngress("a", table="a"), HttpIngress("b", table="b", parameters="http.b")])
    parameters = {p["name"]: p for p in compile_flow(flow)["parameterContexts"]["spotlight"]["parameters"]}
    assert "NIFI_HTTP_B_PORT" in parameters["http.b.port"]["description"]
    with pytest.raises(ValueError) as error:
        ingest_flow("Two", [HttpIngress("a", table="a"), HttpIngress("b", table="b")])
    assert str(error.value) == ("flow `Two`: HTTP ingresses `a` and `b` both use parameters `http.ingress`; one port "
                                "serves one ListenHTTP: give each its own parameters=...")


@pytest.mark.parametrize("path", ["", "/events", "events/"])
def test_an_http_path_is_a_listenhttp_base_path(path: str) -> None:
    with pytest.raises(ValueError, match=f"HTTP ingress path `{path}` must be non-empty"):
        HttpIngress(path, table="events")


def test_a_flow_needs_an_ingress() -> None:
    with pytest.raises(ValueError, match=r"flow `Empty` declares no ingress \(a Topic or an HttpIngress\)"):
        ingest_flow("Empty", [])


@pytest.mark.parametrize(("module", "unchecked"), [
    ("http_ingest", {"org.apache.nifi:nifi-standard-nar": [
        "Spotlight HTTP ingest/HTTP events → events/Listen for HTTP batches",
        "Spotlight HTTP ingest/HTTP events → events/Write to failure DB"]}),
    ("spotlight_ingest", {"org.apache.nifi:nifi-kafka-3-service-nar", "org.apache.nifi:nifi-kafka-nar",
                          "org.apache.nifi:nifi-standard-nar"}),
])
def test_every_flow_built_for_2_3_0_validates_against_the_real_2_3_0_nars(
        real_manifest: RuntimeManifest, module: str, unchecked: dict | set) -> None:
    """Services and our processors are checked with 2.3.0's own keys; the standard and Kafka NARs of 2.3.0 are
    not published, so their components are listed as unchecked."""
    (loaded,) = discover(ROOT / "flows", [module])
    report = validate(loaded.flow.name, compile_flow(loaded.flow, release(LOCAL)), with_project_processors(real_manifest))
    assert report.issues == []
    assert (set(report.unchecked) if isinstance(unchecked, set) else report.unchecked) == unchecked


def test_the_pinned_keys_do_not_pass_for_2_3_0(real_manifest: RuntimeManifest) -> None:
    (loaded,) = discover(ROOT / "flows", ["http_ingest"])
    snapshot = compile_flow(loaded.flow, release(LOCAL))
    reader = snapshot["flowContents"]["controllerServices"][0]
    reader["properties"] = {"Schema Access Strategy": "infer-schema"}
    issues = [str(i) for i in validate(loaded.flow.name, snapshot, with_project_processors(real_manifest)).issues]
    assert issues == ["flow `Spotlight HTTP ingest` at `Spotlight HTTP ingest/JSON reader`: unknown property "
                      "`Schema Access Strategy` for `org.apache.nifi.json.JsonTreeReader`; did you mean "
                      "`schema-access-strategy`?"]

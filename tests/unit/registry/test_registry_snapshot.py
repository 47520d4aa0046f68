"""The stored form of a snapshot (NiFi's Git client's normalization), its digest, and Jackson's layout."""

from __future__ import annotations

import json

import pytest

from spotlight_nifi.flow.compile import compile_flow
from spotlight_nifi.flow.template import Topic, ingest_flow
from spotlight_nifi.registry.jackson import dumps
from spotlight_nifi.registry.snapshot import ROOT_GROUP_ID, canonical, digest, flow_id, git_document


@pytest.mark.parametrize(("name", "expected"), [
    ("Spotlight ingest", "Spotlight-ingest"),
    ("  Orders  →  ClickHouse  ", "Orders-ClickHouse"),
    ("a_b.c/d", "abcd"),
    ("tab\there", "tab-here"),
    ("x - y", "x-y"),
])
def test_flow_id_is_nifis_generate_flow_id(name: str, expected: str) -> None:
    assert flow_id(name) == expected


@pytest.mark.parametrize(("value", "text"), [
    ({}, "{ }"),
    ([], "[ ]"),
    (["failure", "success"], '[ "failure", "success" ]'),
    ({"a": 1, "b": None}, '{\n  "a" : 1\n}'),
    ({"a": [{"b": 0.0}], "c": {}}, '{\n  "a" : [ {\n    "b" : 0.0\n  } ],\n  "c" : { }\n}'),
    ({"k": "é \"q\" \n"}, '{\n  "k" : "é \\"q\\" \\n"\n}'),
])
def test_dumps_writes_jacksons_default_pretty_printer_layout(value: object, text: str) -> None:
    assert dumps(value) == text


def group(**members: object) -> dict:
    return {"identifier": "root-uuid", "name": "F", "componentType": "PROCESS_GROUP", "position": {"x": 5.0, "y": 7.0},
            **members}


def test_canonical_replaces_the_root_group_id_and_sorts_like_nifi() -> None:
    snapshot = {
        "flowContents": group(
            processors=[{"identifier": "b", "componentType": "PROCESSOR", "groupIdentifier": "root-uuid",
                         "instanceIdentifier": "i", "autoTerminatedRelationships": ["success", "failure"]},
                        {"identifier": "a", "componentType": "PROCESSOR", "groupIdentifier": "root-uuid",
                         "comments": None}],
            connections=[{"identifier": "c", "componentType": "CONNECTION", "groupIdentifier": "root-uuid",
                          "source": {"id": "a", "groupId": "root-uuid"}, "destination": {"id": "b", "groupId": "inner"},
                          "prioritizers": ["z", "a"]}]),
        "parameterContexts": {"ctx": {"name": "ctx", "inheritedParameterContexts": ["y", "x"], "parameters": [
            {"name": "z", "sensitive": False, "value": "1"}, {"name": "a", "sensitive": True, "value": "leaked"}]}},
        "snapshotMetadata": {"author": "someone"},
    }
    stored = canonical(snapshot)
    root = stored["flowContents"]
    assert root["identifier"] == ROOT_GROUP_ID and root["position"] == {"x": 0.0, "y": 0.0}
    assert [p["identifier"] for p in root["processors"]] == ["a", "b"]
    assert {p["groupIdentifier"] for p in root["processors"]} == {ROOT_GROUP_ID}
    assert root["processors"][1]["autoTerminatedRelationships"] == ["failure", "success"]
    assert "instanceIdentifier" not in root["processors"][1] and "comments" not in root["processors"][0]
    connection = root["connections"][0]
    assert connection["source"]["groupId"] == ROOT_GROUP_ID and connection["destination"]["groupId"] == "inner"
    assert connection["prioritizers"] == ["z", "a"]
    context = stored["parameterContexts"]["ctx"]
    assert context["inheritedParameterContexts"] == ["y", "x"]
    assert context["parameters"] == [{"name": "a", "sensitive": True}, {"name": "z", "sensitive": False, "value": "1"}]
    assert "snapshotMetadata" not in stored


def test_digest_ignores_metadata_and_layout_but_not_content() -> None:
    flow = compile_flow(ingest_flow("Shop", [Topic("orders", table="orders")]))
    same = {**json.loads(json.dumps(flow)), "snapshotMetadata": {"version": 3, "author": "x"}, "latest": True,
            "flow": {"name": "Shop"}, "bucket": {"name": "b"}}
    same["flowContents"]["processGroups"].reverse()
    assert digest(same) == digest(flow)
    changed = compile_flow(ingest_flow("Shop", [Topic("orders", table="orders", batch_size=5)]))
    assert digest(changed) != digest(flow)


def test_git_document_keeps_the_registered_flow_and_sorts_members() -> None:
    snapshot = {"flowContents": group(), "flowEncodingVersion": "1.0"}
    first = git_document(snapshot, "My flow", "A <a@x>", 1000, None)
    assert list(first) == sorted(first)
    assert first["flow"] == {"createdTimestamp": 1000, "identifier": "My-flow", "lastModifiedTimestamp": 1000,
                             "name": "My flow", "versionCount": 0}
    assert first["snapshotMetadata"] == {"author": "A <a@x>", "flowIdentifier": "My-flow", "timestamp": 1000}
    later = git_document(snapshot, "My flow", "B <b@x>", 2000, first["flow"])
    assert later["flow"] == first["flow"] and later["snapshotMetadata"]["timestamp"] == 2000

"""Local changes: NiFi's export of a group says the same flow in other words; only real edits are changes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from spotlight_nifi.canvas.drift import drift
from spotlight_nifi.canvas.record import DeployRecord, attach
from spotlight_nifi.flow.compile import compile_flow
from spotlight_nifi.flow.manifest import RuntimeManifest
from spotlight_nifi.flow.release import release
from spotlight_nifi.flow.target import with_project_processors
from spotlight_nifi.flow.template import HttpIngress, ingest_flow

DEFINITION = compile_flow(ingest_flow("Batches", [HttpIngress("events", table="events")]), release("2.3.0"))
RECORD = DeployRecord("Batches", "dev", "1" * 40, "Git flow registry `r` branch `dev` bucket `spotlight`", "sha256:x")
INGRESS = "Batches/HTTP events → events"


@pytest.fixture(scope="module")
def manifest(real_manifest: RuntimeManifest) -> RuntimeManifest:
    return with_project_processors(real_manifest)


def processor(snapshot: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in snapshot["flowContents"]["processGroups"][0]["processors"] if p["name"] == name)


def as_exported(definition: dict[str, Any], manifest: RuntimeManifest) -> dict[str, Any]:
    """What NiFi's "Download flow definition" gives for a group uploaded from `definition` and deployed."""
    export = copy.deepcopy(definition)
    top = export["flowContents"]
    top["identifier"], top["instanceIdentifier"] = "10402691-89de-39e5-ad87-4e7d839169f0", "26d6cb6a"
    top["comments"] = attach("", RECORD)
    for service in top["controllerServices"]:
        service["groupIdentifier"], service["scheduledState"] = top["identifier"], "DISABLED"
        service.pop("position")
        spec = manifest.find(service["type"])
        assert spec is not None
        service["properties"] = {**{k: p.default_value for k, p in spec.properties.items() if p.default_value},
                                 **service["properties"]}
    group = top["processGroups"][0]
    group["groupIdentifier"] = top["identifier"]
    for connection in group["connections"]:
        connection.pop("comments")
        connection["selectedRelationships"].reverse()
        connection["source"]["instanceIdentifier"] = "a6c658a1"
    for label in group["labels"]:
        label.pop("name"), label.pop("comments")
    processor(export, "Cast to column types")["properties"]["Sample Size"] = "1000"
    for parameter in export["parameterContexts"]["spotlight"]["parameters"]:
        parameter["value"] = "from .env" if not parameter["sensitive"] else None
    return export


def test_a_fresh_deploy_has_no_local_changes(manifest: RuntimeManifest) -> None:
    assert not drift(DEFINITION, as_exported(DEFINITION, manifest), manifest)


def test_a_property_edited_on_the_canvas_is_one_change_with_both_values(manifest: RuntimeManifest) -> None:
    edited = as_exported(DEFINITION, manifest)
    processor(edited, "Cast to column types")["properties"]["Sample Size"] = "50"
    assert drift(DEFINITION, edited, manifest).text() == (
        f"~ processor `{INGRESS}/Cast to column types`\n    property `Sample Size`: `1000` → `50`")


def test_a_sensitive_property_never_shows_its_value(manifest: RuntimeManifest) -> None:
    edited = as_exported(DEFINITION, manifest)
    processor(edited, "Cast to column types")["properties"]["ClickHouse Password"] = "hunter2"
    text = drift(DEFINITION, edited, manifest).text()
    assert text.endswith("property `ClickHouse Password`: sensitive value changed") and "hunter2" not in text


def test_components_added_or_removed_on_the_canvas_are_named(manifest: RuntimeManifest) -> None:
    edited = as_exported(DEFINITION, manifest)
    group = edited["flowContents"]["processGroups"][0]
    group["connections"] = [c for c in group["connections"] if c.get("name") != "held for an operator"]
    group["funnels"] = [{"identifier": "f1", "componentType": "FUNNEL", "name": "Spare"}]
    assert drift(DEFINITION, edited, manifest).text().splitlines() == [
        f"- connection `{INGRESS}/Annotate failure → Annotate failure (held for an operator)`",
        f"+ funnel `{INGRESS}/Spare`"]


def test_a_ghost_is_compared_without_the_properties_nifi_cannot_export(manifest: RuntimeManifest) -> None:
    definition = copy.deepcopy(DEFINITION)
    processor(definition, "Listen for HTTP batches")["type"] = "org.example.NotInThisNiFi"
    exported = as_exported(definition, manifest)
    ghost = processor(exported, "Listen for HTTP batches")
    ghost["properties"] = {}
    ghost["propertyDescriptors"] = {key: {"name": key, "sensitive": True} for key in ghost["propertyDescriptors"]}
    assert not drift(definition, exported, manifest)

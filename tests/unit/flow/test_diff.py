"""Semantic diff: matched by identifier, positions ignored, sensitive values masked."""

from __future__ import annotations

import copy

from spotlight_nifi.flow.compile import compile_flow
from spotlight_nifi.flow.diff import diff_flows
from spotlight_nifi.flow.template import Topic, ingest_flow


def snapshot() -> dict:
    return compile_flow(ingest_flow("Shop", [Topic("orders", table="orders")]))


def group(s: dict) -> dict:
    return s["flowContents"]["processGroups"][0]


def test_identical_flows_have_no_changes() -> None:
    assert diff_flows(snapshot(), snapshot()).text() == "no changes"


def test_property_change_shows_old_and_new_values() -> None:
    old, new = snapshot(), snapshot()
    group(new)["processors"][1]["properties"]["Table"] = "orders_v2"
    assert diff_flows(old, new).text() == (
        "~ processor `Shop/orders → orders/Cast to column types`\n"
        "    property `Table`: `orders` → `orders_v2`")


def test_sensitive_values_are_masked() -> None:
    old, new = snapshot(), snapshot()
    group(old)["processors"][1]["properties"]["ClickHouse Password"] = "#{old.secret}"
    text = diff_flows(old, new).text()
    assert "old.secret" not in text and "clickhouse.password" not in text
    assert "property `ClickHouse Password`: sensitive value changed" in text


def test_added_removed_and_moved_components() -> None:
    old, new = snapshot(), snapshot()
    removed = group(new)["processors"].pop(0)
    group(new)["processors"][0]["position"] = {"x": 999.0, "y": 999.0}
    moved_only = copy.deepcopy(new)
    lines = diff_flows(old, new).text().splitlines()
    assert f"- processor `Shop/orders → orders/{removed['name']}`" in lines
    assert not any("position" in line for line in lines)
    assert diff_flows(new, moved_only).text() == "no changes"
    assert diff_flows(new, old).text().splitlines()[0].startswith("+ ")


def test_scheduling_and_relationship_changes_are_listed() -> None:
    old, new = snapshot(), snapshot()
    group(new)["processors"][0]["schedulingPeriod"] = "5 sec"
    group(new)["connections"][0]["selectedRelationships"] = ["other"]
    text = diff_flows(old, new).text()
    assert "schedulingPeriod: `0 sec` → `5 sec`" in text
    assert "selectedRelationships: `['success']` → `['other']`" in text


def test_parameter_changes_mask_sensitive_ones() -> None:
    old, new = snapshot(), snapshot()
    params = new["parameterContexts"]["spotlight"]["parameters"]
    next(p for p in params if p["name"] == "kafka.group.id")["value"] = "other-group"
    next(p for p in params if p["name"] == "clickhouse.password")["description"] = "changed"
    text = diff_flows(old, new).text()
    assert "parameter `kafka.group.id`: `spotlight-nifi` → `other-group`" in text
    assert "parameter `clickhouse.password`: sensitive value or description changed" in text

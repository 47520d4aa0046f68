"""`write`: unchanged flows create nothing, conflicts refuse the whole push, a lost race is decided again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from spotlight_nifi.registry import FlowVersion, Publication, RegistryConflict, RegistryMoved, Source, write
from spotlight_nifi.registry.snapshot import digest
from spotlight_nifi.registry.trailers import compose, parse

ALICE, BOB = "Alice <a@x>", "Bob <b@x>"
UNTRACKED = Source(None, True)


def flow(batch: int) -> dict[str, Any]:
    return {"flowContents": {"identifier": "g", "name": "F", "componentType": "PROCESS_GROUP", "batch": batch}}


class Memory:
    """A registry in memory; `interlopers` are versions another writer slips in before our next publish."""

    environment = "dev"
    description = "memory registry"

    def __init__(self) -> None:
        self.versions: dict[str, list[FlowVersion]] = {}
        self.interlopers: list[tuple[str, dict[str, Any], str]] = []
        self.refreshes = 0

    def refresh(self) -> None:
        self.refreshes += 1

    def latest(self, flows: Sequence[str]) -> dict[str, FlowVersion]:
        return {name: self.versions[name][-1] for name in flows if self.versions.get(name)}

    def snapshot(self, name: str, version: str) -> dict[str, Any]:
        raise NotImplementedError

    def add(self, name: str, snapshot: dict[str, Any], author: str, message: str) -> FlowVersion:
        line = self.versions.setdefault(name, [])
        version = FlowVersion(name, str(len(line) + 1), author, datetime(2026, 1, 1, tzinfo=timezone.utc), message,
                              Source.from_trailers(parse(message)), digest(snapshot))
        line.append(version)
        return version

    def publish(self, publications: Sequence[Publication], message: str, author: str) -> dict[str, FlowVersion]:
        if self.interlopers:
            name, snapshot, author_, text = self.interlopers.pop(0)
            self.add(name, snapshot, author_, compose(text, UNTRACKED.trailers()))
            raise RegistryMoved(self.environment, self.description, "moved")
        return {p.flow: self.add(p.flow, p.snapshot, author, message) for p in publications}


def push(registry: Memory, snapshots: dict[str, dict[str, Any]], author: str = ALICE, force: bool = False):
    return write(registry, snapshots, message="m", author=author, source=UNTRACKED, repo=Path("/"), force=force)


def test_new_then_unchanged() -> None:
    registry = Memory()
    assert [o.created for o in push(registry, {"F": flow(1), "G": flow(2)}).outcomes] == [True, True]
    again = push(registry, {"F": flow(1), "G": flow(3)})
    assert [(o.flow, o.created, o.version.version) for o in again.outcomes] == [("F", False, "1"), ("G", True, "2")]
    assert parse(registry.versions["G"][-1].message) == {
        "Spotlight-Source-Commit": "none", "Spotlight-Source-Dirty": "true", "Spotlight-Flows": "G"}


def test_a_conflict_refuses_every_flow_and_names_each() -> None:
    registry = Memory()
    push(registry, {"F": flow(1), "G": flow(1)}, author=BOB)
    with pytest.raises(RegistryConflict) as refused:
        push(registry, {"F": flow(2), "G": flow(2)})
    assert len(refused.value.conflicts) == 2 and "flow `G` is at version `1` by `Bob <b@x>`" in str(refused.value)
    assert len(registry.versions["F"]) == 1
    forced = push(registry, {"F": flow(2), "G": flow(2)}, force=True)
    assert [o.version.version for o in forced.outcomes] == ["2", "2"]


def test_a_lost_race_is_read_and_decided_again() -> None:
    registry = Memory()
    registry.interlopers.append(("F", flow(9), ALICE, "someone else"))
    report = push(registry, {"F": flow(1)})
    assert registry.refreshes == 2 and [v.version for v in registry.versions["F"]] == ["1", "2"]
    assert report.outcomes[0].created
    registry.interlopers.append(("F", flow(5), BOB, "bob"))
    with pytest.raises(RegistryConflict, match="by `Bob <b@x>`"):
        push(registry, {"F": flow(6)})


def test_a_race_lost_to_the_same_content_ends_unchanged() -> None:
    registry = Memory()
    registry.interlopers.append(("F", flow(7), BOB, "same content"))
    report = push(registry, {"F": flow(7)})
    assert not report.outcomes[0].created and report.outcomes[0].version.author == BOB


def test_a_registry_that_keeps_moving_gives_up_with_a_message() -> None:
    registry = Memory()
    registry.interlopers += [("F", flow(n), ALICE, "x") for n in (10, 11, 12)]
    with pytest.raises(RegistryMoved, match="other pushes got in first 3 times in a row"):
        push(registry, {"F": flow(1)})

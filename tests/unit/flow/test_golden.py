"""Every flow in `flows/` compiles to its committed golden JSON (regenerate: scripts/update-golden)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotlight_nifi.flow.build import file_name
from spotlight_nifi.flow.compile import compile_flow, to_json
from spotlight_nifi.flow.loader import discover

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = ROOT / "tests" / "golden" / "flows"
FLOWS = discover(ROOT / "flows")


def test_every_flow_has_a_golden_file_and_no_golden_file_is_stale() -> None:
    assert FLOWS, "flows/ declares no flow"
    assert sorted(p.name for p in GOLDEN.glob("*.json")) == sorted(file_name(f.flow.name) for f in FLOWS)


@pytest.mark.parametrize("loaded", FLOWS, ids=[f.flow.name for f in FLOWS])
def test_flow_matches_its_golden_json(loaded) -> None:
    expected = (GOLDEN / file_name(loaded.flow.name)).read_text(encoding="utf-8")
    assert to_json(compile_flow(loaded.flow)) == expected, "run scripts/update-golden and review the diff"

"""Every flow in `flows/` compiles to its committed golden JSON, for the pinned NiFi release and for each
release with a `nifi-<version>` directory (regenerate: scripts/update-golden)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotlight_nifi.flow.build import file_name
from spotlight_nifi.flow.compile import compile_flow, to_json
from spotlight_nifi.flow.loader import discover
from spotlight_nifi.flow.release import PINNED, Release, release

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = ROOT / "tests" / "golden" / "flows"
FLOWS = discover(ROOT / "flows")
TARGETS: dict[Path, Release] = {GOLDEN: PINNED, **{d: release(d.name.removeprefix("nifi-"))
                                                   for d in sorted(GOLDEN.glob("nifi-*"))}}


def test_the_local_nifi_release_has_golden_files() -> None:
    assert GOLDEN / "nifi-2.3.0" in TARGETS


@pytest.mark.parametrize("directory", TARGETS, ids=lambda d: TARGETS[d].version)
def test_every_flow_has_a_golden_file_and_no_golden_file_is_stale(directory: Path) -> None:
    assert FLOWS, "flows/ declares no flow"
    assert sorted(p.name for p in directory.glob("*.json")) == sorted(file_name(f.flow.name) for f in FLOWS)


@pytest.mark.parametrize(("loaded", "directory"), [(f, d) for d in TARGETS for f in FLOWS],
                         ids=[f"{TARGETS[d].version}-{f.flow.name}" for d in TARGETS for f in FLOWS])
def test_flow_matches_its_golden_json(loaded, directory: Path) -> None:
    expected = (directory / file_name(loaded.flow.name)).read_text(encoding="utf-8")
    assert to_json(compile_flow(loaded.flow, TARGETS[directory])) == expected, \
        "run scripts/update-golden and review the diff"

"""`spotlight-nifi build` and `validate`: load flows, compile them, check them, write JSON.

Nothing is written unless every selected flow compiles and validates, so `build/flows` never
holds a half-checked set.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from spotlight_nifi.flow.compile import compile_flow, to_json
from spotlight_nifi.flow.loader import discover
from spotlight_nifi.flow.manifest import RuntimeManifest
from spotlight_nifi.flow.release import PINNED, Release
from spotlight_nifi.flow.validate import Issue, ValidationFailed, validate


@dataclass
class BuildResult:
    written: list[Path] = field(default_factory=list)
    unchecked: dict[str, list[str]] = field(default_factory=dict)
    flows: dict[str, str] = field(default_factory=dict)


def file_name(flow_name: str) -> str:
    """The JSON file name of a flow: its name in lower case, runs of other characters as `-`."""
    return re.sub(r"[^a-z0-9]+", "-", flow_name.lower()).strip("-") + ".json"


def check(flows_dir: Path, manifest: RuntimeManifest, selected: Sequence[str] = (), *,
          strict: bool = False, target: Release = PINNED) -> BuildResult:
    """Compile the selected flows for `target` and validate them; raise ValidationFailed listing every issue."""
    result = BuildResult()
    issues: list[Issue] = []
    for loaded in discover(flows_dir, selected):
        snapshot = compile_flow(loaded.flow, target)
        report = validate(loaded.flow.name, snapshot, manifest, strict=strict)
        issues.extend(report.issues)
        for bundle, paths in report.unchecked.items():
            result.unchecked.setdefault(bundle, []).extend(paths)
        result.flows[loaded.flow.name] = to_json(snapshot)
    if issues:
        raise ValidationFailed(issues)
    return result


def build(flows_dir: Path, out_dir: Path, manifest: RuntimeManifest, selected: Sequence[str] = (), *,
          strict: bool = False, target: Release = PINNED) -> BuildResult:
    """Check the selected flows, then write one `<flow>.json` per flow, compiled for `target`, into `out_dir`."""
    result = check(flows_dir, manifest, selected, strict=strict, target=target)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in sorted(result.flows.items()):
        target = out_dir / file_name(name)
        target.write_text(text, encoding="utf-8")
        result.written.append(target)
    return result

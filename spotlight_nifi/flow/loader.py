"""Find the flows a project declares: every `Flow` object at module level in `flows/*.py`.

A module that fails to import is reported with its file, the exception and the line in that
file that raised, never a bare traceback. Flow names are unique across the project, because a
flow's name seeds every identifier in it.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from spotlight_nifi.errors import FlowLoadError
from spotlight_nifi.flow.model import Flow


@dataclass(frozen=True)
class LoadedFlow:
    flow: Flow
    module: Path


def _module_name(path: Path) -> str:
    return "spotlight_flows_" + "".join(ch if ch.isalnum() else "_" for ch in path.stem)


def load_module(path: Path) -> list[Flow]:
    """The `Flow` objects defined at the top level of one module file."""
    spec = importlib.util.spec_from_file_location(_module_name(path), path)
    if spec is None or spec.loader is None:
        raise FlowLoadError(str(path), "", "not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename) == path.resolve()
                  or Path(f.filename) == path]
        line = f" (line {frames[-1].lineno})" if frames else ""
        raise FlowLoadError(str(path), "", f"module raised {type(error).__name__}: {error}{line}") from error
    finally:
        sys.modules.pop(spec.name, None)
    return [value for value in vars(module).values() if isinstance(value, Flow)]


def discover(flows_dir: Path, selected: Sequence[str] = ()) -> list[LoadedFlow]:
    """Flows of every module in `flows_dir`, in name order; `selected` keeps only those named
    (by flow name or module file name)."""
    if not flows_dir.is_dir():
        raise FlowLoadError(str(flows_dir), "", "the flows directory does not exist")
    found: list[LoadedFlow] = []
    owners: dict[str, Path] = {}
    for path in sorted(flows_dir.glob("*.py")):
        if path.name.startswith("_"):
            continue
        for flow in load_module(path):
            if flow.name in owners:
                raise FlowLoadError(flow.name, "", f"flow name is declared twice: in `{owners[flow.name]}` and "
                                                   f"`{path}`; flow names must be unique")
            owners[flow.name] = path
            found.append(LoadedFlow(flow, path))
    if selected:
        wanted = set(selected)
        unknown = wanted - {f.flow.name for f in found} - {f.module.stem for f in found} - {str(f.module) for f in found}
        if unknown:
            names = ", ".join(f"`{n}`" for n in sorted(owners))
            raise FlowLoadError(sorted(unknown)[0], "", f"no such flow in `{flows_dir}` (flows: {names or 'none'})")
        found = [f for f in found if {f.flow.name, f.module.stem, str(f.module)} & wanted]
    return sorted(found, key=lambda f: f.flow.name)

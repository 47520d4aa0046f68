"""What the rendered Superset service runs at start, taken from the compose file: its bundle files,
its start script, and the script's own packing of the bundle, run here as the container runs it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from spotlight_nifi.config import Settings
from spotlight_nifi.infra import render_compose
from spotlight_nifi.infra.superset_bundle import ROOT


def rendered(settings: Settings) -> tuple[dict[str, str], str]:
    """The bundle's files by container path, and the start script."""
    document = yaml.safe_load(render_compose(settings))
    files = {entry["target"]: document["configs"][entry["source"]]["content"].replace("$$", "$")
             for entry in document["services"]["superset"]["configs"]}
    return files, files.pop("/opt/spotlight/start.sh")


def pack(settings: Settings, directory: Path, passwords: dict[str, str]) -> Path:
    """The ZIP the start script makes, with `passwords` as the container's environment holds them."""
    files, script = rendered(settings)
    root = directory / "superset"
    for path, text in files.items():
        target = root / path.removeprefix(f"{ROOT}/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    packing = re.search(r"python - <<'PY'\n(.*?)\nPY\n", script, re.DOTALL)
    assert packing, "the start script no longer packs the bundle with Python"
    bundle = directory / "bundle.zip"
    code = packing[1].replace(f'"{ROOT}"', repr(str(root))).replace('"/tmp/spotlight-dashboard.zip"', repr(str(bundle)))
    subprocess.run([sys.executable, "-c", code], env={**os.environ, **passwords}, check=True, timeout=60)
    return bundle

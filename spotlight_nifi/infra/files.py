"""The I/O edge of `infra`: write the rendered files, or compare them with the files on disk."""

from __future__ import annotations

from pathlib import Path

from spotlight_nifi.errors import SpotlightError
from spotlight_nifi.infra.render import NOMAD_DIR


class InfraDriftError(SpotlightError):
    """Committed rendered files differ from what the `.env` renders: names the files."""

    def __init__(self, env_file: Path, paths: list[str]) -> None:
        self.paths = paths
        names = ", ".join(f"`{path}`" for path in paths)
        super().__init__(
            f"{names} {'differs' if len(paths) == 1 else 'differ'} from what `{env_file}` renders: "
            f"run `spotlight-nifi infra render --env-file {env_file}` and commit the result"
        )


def _stale(root: Path, rendered: dict[str, str]) -> list[str]:
    """Job files left from services the stack no longer has."""
    return sorted(
        path.relative_to(root).as_posix()
        for path in (root / NOMAD_DIR).glob("*.nomad.hcl")
        if path.relative_to(root).as_posix() not in rendered
    )


def write(root: Path, rendered: dict[str, str]) -> list[str]:
    """Write every rendered file under `root`, remove stale job files; returns the paths written."""
    for relative in _stale(root, rendered):
        (root / relative).unlink()
    for relative, text in rendered.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return list(rendered)


def drift(root: Path, rendered: dict[str, str]) -> list[str]:
    """Paths whose file under `root` is missing, differs from `rendered`, or is a stale job file."""
    changed = [
        relative for relative, text in rendered.items()
        if not (root / relative).is_file() or (root / relative).read_text(encoding="utf-8") != text
    ]
    return sorted(changed + _stale(root, rendered))

"""Which version may replace which: the conflict rule, decided by the project's Git history.

Every version records the project commit its flows were built from (see `trailers`). A new
version may go on top of the registry's latest one only when its own source contains that
commit: then whoever pushed the latest version did so from code this checkout already has, and
nothing of theirs is lost. Otherwise someone pushed code we do not have (or changed the flow
outside spotlight-nifi), and the push is refused unless forced. Versions built from uncommitted
changes can only be replaced by their own author, since nobody else can have those changes.
Only read-only Git commands run in the project checkout.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from spotlight_nifi.registry import trailers


@dataclass(frozen=True)
class Source:
    """The project commit flows were built from; `dirty` when the work tree had changes."""

    commit: str | None
    dirty: bool

    def trailers(self) -> dict[str, str]:
        found = {trailers.SOURCE_COMMIT: self.commit or "none"}
        return {**found, trailers.SOURCE_DIRTY: "true"} if self.dirty else found

    @classmethod
    def from_trailers(cls, found: Mapping[str, str]) -> Source | None:
        """The source recorded in a version's trailers; None when it records none."""
        commit = found.get(trailers.SOURCE_COMMIT)
        if commit is None:
            return None
        return cls(None if commit == "none" else commit, found.get(trailers.SOURCE_DIRTY) == "true")

    def describe(self) -> str:
        where = f"commit `{self.commit[:12]}`" if self.commit else "a directory outside Git"
        return where + (" with uncommitted changes" if self.dirty else "")


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "--no-optional-locks", "-C", str(repo), *args], capture_output=True, text=True,
                          check=False, stdin=subprocess.DEVNULL)


def current_source(repo: Path) -> Source:
    """HEAD of the checkout holding `repo`, dirty when anything in its work tree differs."""
    head = _git(repo, "rev-parse", "--verify", "-q", "HEAD")
    if head.returncode != 0:
        return Source(None, True)
    status = _git(repo, "status", "--porcelain")
    return Source(head.stdout.strip(), bool(status.stdout.strip()) or status.returncode != 0)


def contains(repo: Path, ancestor: str, descendant: str) -> bool:
    """True when `descendant` is `ancestor` or has it in its history (both known to the repo)."""
    return _git(repo, "merge-base", "--is-ancestor", ancestor, descendant).returncode == 0


def refusal(old: Source | None, old_author: str, new: Source, new_author: str, repo: Path) -> str | None:
    """Why a version built from `new` may not replace one built from `old`; None when it may."""
    if old is None:
        return "records no source commit (it was not written by spotlight-nifi)"
    if old.dirty and old_author != new_author:
        return f"was built from {old.describe()} of its author, which nobody else has"
    if old.commit is None:
        return None if old_author == new_author else f"was built from {old.describe()}"
    if new.commit is None or not contains(repo, old.commit, new.commit):
        return (f"was built from {old.describe()}, which is not in the history of the new version's source "
                f"({new.describe()})")
    return None

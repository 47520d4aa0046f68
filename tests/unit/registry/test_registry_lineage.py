"""The conflict rule: a version may replace another only when its source contains the other's."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from spotlight_nifi.registry.lineage import Source, current_source, refusal

A, B = "Alice <a@x>", "Bob <b@x>"


def commit(repo: Path, name: str) -> str:
    (repo / name).write_text(name)
    subprocess.run(["git", "-C", str(repo), "add", name], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", name],
                   check=True)
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """main: first → second; side: first → other."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True)
    first = commit(tmp_path, "first")
    second = commit(tmp_path, "second")
    subprocess.run(["git", "-C", str(tmp_path), "checkout", "-q", "-b", "side", first], check=True)
    other = commit(tmp_path, "other")
    return tmp_path, {"first": first, "second": second, "other": other}


@pytest.mark.parametrize(("old", "old_author", "new", "new_author", "refused"), [
    (("first", False), A, ("second", False), B, None),
    (("second", False), A, ("second", False), B, None),
    (("second", False), A, ("first", False), B, "not in the history of the new version's source (commit"),
    (("other", False), A, ("second", False), B, "not in the history"),
    (("first", True), A, ("second", False), A, None),
    (("first", True), A, ("second", False), B, "of its author, which nobody else has"),
    ((None, True), A, (None, True), A, None),
    ((None, True), A, ("second", False), B, "of its author"),
    ((None, False), A, ("second", False), B, "a directory outside Git"),
    (None, A, ("second", False), A, "records no source commit"),
    (("first", False), A, (None, True), A, "source (a directory outside Git with uncommitted changes)"),
])
def test_refusal(history: tuple[Path, dict[str, str]], old: tuple[str | None, bool] | None, old_author: str,
                 new: tuple[str | None, bool], new_author: str, refused: str | None) -> None:
    repo, commits = history

    def source(spec: tuple[str | None, bool]) -> Source:
        return Source(commits[spec[0]] if spec[0] else None, spec[1])

    why = refusal(source(old) if old else None, old_author, source(new), new_author, repo)
    assert (why is None) if refused is None else (why is not None and refused in why)


def test_current_source_sees_uncommitted_changes(history: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    repo, commits = history
    assert current_source(repo) == Source(commits["other"], False)
    (repo / "new-file").write_text("x")
    assert current_source(repo) == Source(commits["other"], True)
    outside = tmp_path.parent / f"{tmp_path.name}-not-a-repo"
    outside.mkdir()
    assert current_source(outside) == Source(None, True)

"""A Git repository as a flow registry, in the layout NiFi 2.x's Git registry clients read.

Bucket = top-level directory, flow = `<bucket>/<flow id>.json`, version = the SHA of the last
commit that touched that file on the environment's branch (NiFi's GitHub, GitLab, Bitbucket and
Azure DevOps clients all list versions so). A NiFi whose registry client points at this
repository, with the environment's branch as its default branch, imports these flows unchanged.

The repository (a local path or any URL `git` can fetch: file, SSH, HTTP) is fetched into a
bare cache repository; a push writes one commit holding every changed flow with Git's plumbing
(no work tree, no checkout) and pushes it without force. Git itself refuses a push that is not a
fast-forward, so of two racing pushes one wins and the other sees `RegistryMoved`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from spotlight_nifi.registry import jackson, trailers
from spotlight_nifi.registry.errors import RegistryError, RegistryMoved, RegistryUnreachable
from spotlight_nifi.registry.interface import FlowVersion, Publication
from spotlight_nifi.registry.lineage import Source
from spotlight_nifi.registry.snapshot import digest, flow_id, git_document

_AUTHOR = re.compile(r"^\s*(.+?)\s*<([^<>]*)>\s*$")
_LOST_RACE = ("[rejected]", "failed to update ref", "cannot lock ref", "non-fast-forward", "fetch first")


def _reason(output: str) -> str:
    """Git's first `fatal:`/`error:` line (its last lines are generic advice), else its last line."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    return next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[-1] if lines else "no output")


def split_author(author: str) -> tuple[str, str]:
    """`Name <email>` as (name, email); a bare name gets an empty email."""
    match = _AUTHOR.match(author)
    return (match.group(1), match.group(2)) if match else (author.strip(), "")


class GitFlowRegistry:
    """One branch and bucket of a Git repository: one environment's versions."""

    def __init__(self, url: str, branch: str, bucket: str, cache: Path, environment: str) -> None:
        self.url = url
        self.branch = branch
        self.bucket = bucket
        self.environment = environment
        self.description = f"Git flow registry `{url}` branch `{branch}` bucket `{bucket}`"
        self.repo = cache / "flow-registry" / (hashlib.sha256(url.encode()).hexdigest()[:16] + ".git")
        self.ref = f"refs/remotes/origin/{branch}"

    def _path(self, flow: str) -> str:
        return f"{self.bucket}/{flow_id(flow)}.json"

    def _git(self, *args: str, input: str | None = None, env: dict[str, str] | None = None,
             check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["git", "-C", str(self.repo), *args], input=input, capture_output=True, text=True,
                                env={**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})}, check=False,
                                timeout=300)
        if check and result.returncode != 0:
            raise RegistryError(self.environment, self.description, f"`git {args[0]}` failed: {_reason(result.stderr)}")
        return result

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time on the cache repository (two pushes on one machine share it)."""
        self.repo.parent.mkdir(parents=True, exist_ok=True)
        with open(self.repo.with_suffix(".lock"), "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            if not (self.repo / "HEAD").is_file():
                subprocess.run(["git", "init", "-q", "--bare", str(self.repo)], check=True, capture_output=True)
            yield

    def refresh(self) -> None:
        """Fetch every branch of the repository into the cache."""
        with self._locked():
            result = self._git("fetch", "-q", "--prune", self.url, "+refs/heads/*:refs/remotes/origin/*", check=False)
        if result.returncode != 0:
            raise RegistryUnreachable(
                self.environment, self.description,
                f"cannot fetch from it ({_reason(result.stderr)}); check the environment's `url` in the registry "
                "config (a local registry is created with `git init --bare PATH`)")

    def _head(self) -> str | None:
        found = self._git("rev-parse", "--verify", "-q", self.ref, check=False)
        return found.stdout.strip() if found.returncode == 0 else None

    def _cat(self, objects: Sequence[str]) -> list[dict[str, Any] | None]:
        """The JSON files named `<commit>:<path>`, read by one `git cat-file --batch`; None where missing."""
        batch = subprocess.run(["git", "-C", str(self.repo), "cat-file", "--batch"], capture_output=True, check=False,
                               input="".join(f"{name}\n" for name in objects).encode(), timeout=300).stdout
        found: list[dict[str, Any] | None] = []
        offset = 0
        for _ in objects:
            end = batch.index(b"\n", offset)
            header = batch[offset:end].split()
            if header[-1] == b"missing":
                found.append(None)
                offset = end + 1
                continue
            size = int(header[2])
            found.append(json.loads(batch[end + 1:end + 1 + size]))
            offset = end + 2 + size
        return found

    def _document(self, commit: str, flow: str) -> dict[str, Any] | None:
        return self._cat([f"{commit}:{self._path(flow)}"])[0]

    def _commits(self, shas: Sequence[str]) -> dict[str, tuple[str, datetime, str]]:
        """Author, date and message of each commit, read by one `git log --no-walk`."""
        shown = self._git("log", "--no-walk=unsorted", "--format=%x01%H%x00%an <%ae>%x00%at%x00%B", *shas)
        found = {}
        for record in shown.stdout.split("\x01")[1:]:
            sha, author, seconds, message = record.split("\x00", 3)
            found[sha] = (author, datetime.fromtimestamp(int(seconds), timezone.utc), message.strip())
        return found

    def latest(self, flows: Sequence[str]) -> dict[str, FlowVersion]:
        """Per flow, the last commit on the branch that wrote its file; flows without one are left out.

        One history walk, one metadata read and one batch read of files, however many flows."""
        paths = {self._path(flow): flow for flow in flows}
        if not paths or self._head() is None:
            return {}
        walk = self._git("-c", "core.quotePath=false", "log", "--format=%x01%H", "--name-only", self.ref, "--", *paths)
        last: dict[str, str] = {}
        commit = ""
        for line in walk.stdout.splitlines():
            if line.startswith("\x01"):
                commit = line[1:]
            elif line in paths:
                last.setdefault(line, commit)
        documents = self._cat([f"{sha}:{path}" for path, sha in last.items()])
        meta = self._commits(sorted(set(last.values()))) if last else {}
        versions = {}
        for (path, sha), document in zip(last.items(), documents):
            if document is not None:
                author, when, message = meta[sha]
                versions[paths[path]] = FlowVersion(paths[path], sha, author, when, message,
                                                    Source.from_trailers(trailers.parse(message)), digest(document))
        return versions

    def snapshot(self, flow: str, version: str) -> dict[str, Any]:
        document = self._document(version, flow)
        if document is None:
            raise RegistryError(self.environment, self.description,
                                f"flow `{flow}` has no file `{self._path(flow)}` at version `{version[:12]}`")
        return document

    def publish(self, publications: Sequence[Publication], message: str, author: str) -> dict[str, FlowVersion]:
        """One commit with every publication, pushed without force on top of the fetched branch."""
        name, email = split_author(author)
        now = datetime.now(timezone.utc).replace(microsecond=0)
        env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name,
               "GIT_COMMITTER_EMAIL": email, "GIT_AUTHOR_DATE": now.isoformat(), "GIT_COMMITTER_DATE": now.isoformat()}
        with self._locked(), tempfile.TemporaryDirectory(dir=self.repo.parent) as scratch:
            head = self._head()
            index = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            self._git("read-tree", *([head] if head else ["--empty"]), env=index)
            digests = {}
            for item in publications:
                previous = self._document(head, item.flow) if head and item.previous else None
                document = git_document(item.snapshot, item.flow, author, int(now.timestamp() * 1000),
                                        previous.get("flow") if previous else None)
                digests[item.flow] = digest(document)
                blob = self._git("hash-object", "-w", "--stdin", input=jackson.dumps(document)).stdout.strip()
                self._git("update-index", "--add", "--cacheinfo", f"100644,{blob},{self._path(item.flow)}", env=index)
            tree = self._git("write-tree", env=index).stdout.strip()
            commit = self._git("commit-tree", tree, *(["-p", head] if head else []), "-F", "-", input=message,
                               env=env).stdout.strip()
            self._push(commit)
        source = Source.from_trailers(trailers.parse(message))
        return {item.flow: FlowVersion(item.flow, commit, author, now, message.strip(), source, digests[item.flow])
                for item in publications}

    def _push(self, commit: str) -> None:
        pushed = self._git("push", "--porcelain", self.url, f"{commit}:refs/heads/{self.branch}", check=False)
        if pushed.returncode == 0:
            self._git("update-ref", self.ref, commit)
            return
        output = pushed.stdout + pushed.stderr
        if any(marker in output for marker in _LOST_RACE):
            raise RegistryMoved(self.environment, self.description,
                                f"branch `{self.branch}` moved while pushing (another push got in first)")
        raise RegistryUnreachable(self.environment, self.description, f"push refused: {_reason(output)}")

"""Real, messy JSON from published packages, downloaded at run time (never committed).

Packages are fetched once with their registry's own client (pip, npm) into
~/.cache/spotlight-nifi/datasets: Reddit API responses recorded in the `praw` sdist's test
cassettes, GitHub REST API responses in the `github3.py` sdist's, and GitHub webhook payloads
contributed to `@octokit/webhooks-examples`. `events_stream` puts the three APIs on one topic.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import random
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson

from spotlight_nifi.cast import json_text
from spotlight_nifi.infer.reader import parse_json

CACHE = Path.home() / ".cache" / "spotlight-nifi" / "datasets"
PACKAGES = {"praw": "praw==7.7.1", "github3": "github3.py==4.0.1"}
WEBHOOKS = ("@octokit/webhooks-examples", "7.6.1")
WEBHOOK_TARGETS = ("api.github.com", "ghes-31", "ghes-32", "ghes-33", "ghes-34", "ghes-35")
"""GitHub.com and GitHub Enterprise Server versions: the same events, as their payloads changed."""


def sdist(name: str) -> Path:
    """The package's source distribution, downloaded once with pip."""
    package, version = PACKAGES[name].split("==")
    found = sorted(CACHE.glob(f"{package}-{version}.tar.gz"))
    if not found:
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        PACKAGES[name], "-d", str(CACHE)], check=True, capture_output=True)
        found = sorted(CACHE.glob(f"{package}-*.tar.gz"))
    return found[-1]


def npm_tarball(package: str, version: str) -> Path:
    """The npm package's tarball, downloaded once with `npm pack`."""
    path = CACHE / f"{package.lstrip('@').replace('/', '-')}-{version}.tgz"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", f"{package}@{version}", "--pack-destination", str(CACHE)], check=True,
                       capture_output=True)
    return path


def bodies(name: str, folder: str, url_filter: Callable[[str], bool]) -> Iterator[Any]:
    """Decoded JSON response bodies of the cassettes whose URL passes `url_filter`."""
    with tarfile.open(sdist(name)) as archive:
        for member in archive.getmembers():
            if f"/{folder}/" not in member.name or not member.name.endswith(".json"):
                continue
            cassette = orjson.loads(archive.extractfile(member).read())  # type: ignore[union-attr]
            for interaction in cassette.get("http_interactions", []):
                response = interaction["response"]
                if not url_filter(response.get("url", "")):
                    continue
                body = response["body"]
                raw = base64.b64decode(body["base64_string"]) if body.get("base64_string") else body.get("string", "").encode()
                if raw[:2] == b"\x1f\x8b":
                    raw = gzip.decompress(raw)
                try:
                    yield parse_json(raw)
                except ValueError:
                    continue


def reddit() -> list[dict[str, Any]]:
    """Things (comments, submissions, subreddits, users…) from Reddit Listing responses."""
    out = []
    for body in bodies("praw", "cassettes", lambda url: "reddit.com" in url):
        for listing in body if isinstance(body, list) else [body]:
            if isinstance(listing, dict) and listing.get("kind") == "Listing":
                out += [c for c in listing["data"].get("children", []) if isinstance(c, dict) and isinstance(c.get("data"), dict)
                        and isinstance(c["data"].get("created_utc"), (int, float))]
    return sorted(unique(out), key=lambda r: r["data"]["created_utc"])


def github_events() -> list[dict[str, Any]]:
    """GitHub Events API objects (push, issues, pull request… events with their payloads)."""
    out = []
    for body in bodies("github3", "cassettes", lambda url: "events" in url):
        if isinstance(body, list):
            out += [e for e in body if isinstance(e, dict) and "type" in e and isinstance(e.get("created_at"), str)]
    return sorted(unique(out), key=lambda r: r["created_at"])


def github_issues() -> list[dict[str, Any]]:
    """GitHub issues and pull requests (users, labels, milestones, nested repos)."""
    out = []
    for body in bodies("github3", "cassettes", lambda url: "/issues" in url or "/pulls" in url):
        for item in body if isinstance(body, list) else [body]:
            if isinstance(item, dict) and "number" in item and isinstance(item.get("created_at"), str):
                out.append(item)
    return sorted(unique(out), key=lambda r: r["created_at"])


def github_webhooks() -> list[tuple[str, dict[str, Any]]]:
    """(event name, payload) of every distinct example webhook delivery, all targets."""
    out = []
    with tarfile.open(npm_tarball(*WEBHOOKS)) as archive:
        for target in WEBHOOK_TARGETS:
            member = archive.extractfile(f"package/{target}/index.json")
            for event in orjson.loads(member.read()):  # type: ignore[union-attr]
                out += [(event["name"], example) for example in event["examples"] if isinstance(example, dict)]
    seen, kept = set(), []
    for name, payload in out:
        digest = hashlib.sha1(json_text(payload).encode()).digest()
        if digest not in seen:
            seen.add(digest)
            kept.append((name, payload))
    return kept


def events_stream(seed: int = 12, per_api: int = 400) -> list[dict[str, Any]]:
    """One topic carrying three APIs as a collector publishes them: each API's own body with the
    collector's headers added at its top (`event`, `source`, `received_at`): GitHub webhooks
    (`event` is `name.action`), GitHub Events API objects and Reddit things. At most `per_api`
    records of each API (a seeded sample, so no API drowns the others), shuffled with the same seed;
    `received_at` is one record every 7 s from 2024-01-01 in shuffled order."""
    rng = random.Random(seed)
    apis = [[("github.webhooks", f"{name}.{p['action']}" if isinstance(p.get("action"), str) else name, p)
             for name, p in github_webhooks()],
            [("github.events", e["type"], e) for e in github_events()],
            [("reddit.listings", t["kind"], t) for t in reddit()]]
    items = [item for api in apis for item in (rng.sample(api, per_api) if len(api) > per_api else api)]
    rng.shuffle(items)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    return [{"event": kind, "source": source, "received_at": (start + timedelta(seconds=7 * i)).isoformat().replace("+00:00", "Z"),
             **body} for i, (source, kind, body) in enumerate(items)]


def unique(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for record in records:
        digest = hashlib.sha1(json_text(record).encode()).digest()
        if digest not in seen:
            seen.add(digest)
            out.append(record)
    return out

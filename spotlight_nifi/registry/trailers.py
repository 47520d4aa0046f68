"""Git-style trailers (`Key: value` lines closing a message) that carry a version's provenance.

Every version spotlight-nifi writes ends its message (the commit message in Git, the version
comments in NiFi Registry, which NiFi shows as the version's comment) with trailers, so the
provenance travels with the version itself and any checkout can read it back:
`Spotlight-Source-Commit` (the project commit the flows were built from),
`Spotlight-Source-Dirty: true` (built with uncommitted changes), `Spotlight-Promoted-From`
(`<environment> <version>` of a promotion), and where the registry cannot hold them otherwise,
`Spotlight-Author` and `Spotlight-Content-Digest`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

SOURCE_COMMIT = "Spotlight-Source-Commit"
SOURCE_DIRTY = "Spotlight-Source-Dirty"
PROMOTED_FROM = "Spotlight-Promoted-From"
FLOWS = "Spotlight-Flows"
AUTHOR = "Spotlight-Author"
CONTENT_DIGEST = "Spotlight-Content-Digest"
_LINE = re.compile(r"^([A-Za-z0-9-]+): (.*)$")


def compose(message: str, trailers: Mapping[str, str]) -> str:
    """`message`, a blank line, then one `Key: value` line per trailer (values on one line)."""
    lines = [f"{key}: {' '.join(value.split())}" for key, value in trailers.items()]
    return message.strip() + ("\n\n" + "\n".join(lines) if lines else "") + "\n"


def parse(text: str | None) -> dict[str, str]:
    """The trailers of a message: its last paragraph, when every line of it is `Key: value`."""
    paragraphs = (text or "").strip().split("\n\n")
    last = paragraphs[-1].splitlines() if len(paragraphs) > 1 else []
    matches = [_LINE.match(line) for line in last]
    if not last or not all(matches):
        return {}
    return {m.group(1): m.group(2).strip() for m in matches if m}


def with_trailers(message: str, extra: Mapping[str, str]) -> str:
    """`message` with `extra` trailers added to (or replacing) the ones it already ends with."""
    trailers = parse(message)
    body = message.strip().rsplit("\n\n", 1)[0] if trailers else message
    return compose(body, {**trailers, **extra})

"""Provenance trailers at the end of a version's message."""

from __future__ import annotations

from spotlight_nifi.registry.lineage import Source
from spotlight_nifi.registry.trailers import compose, parse, with_trailers


def test_compose_then_parse_round_trips() -> None:
    trailers = {"Spotlight-Source-Commit": "abc", "Spotlight-Flows": "a, b"}
    text = compose("Bigger batches\n\nbecause the table grew", trailers)
    assert text == ("Bigger batches\n\nbecause the table grew\n\nSpotlight-Source-Commit: abc\n"
                    "Spotlight-Flows: a, b\n")
    assert parse(text) == {"Spotlight-Source-Commit": "abc", "Spotlight-Flows": "a, b"}


def test_a_message_without_trailers_has_none() -> None:
    assert parse("just a message") == {}
    assert parse("title\n\nSee: the docs for more\nand another line") == {}
    assert parse(None) == {}


def test_with_trailers_merges_into_existing_ones() -> None:
    text = with_trailers(compose("m", {"A": "1", "B": "2"}), {"B": "3", "C": "4 \n 5"})
    assert text == "m\n\nA: 1\nB: 3\nC: 4 5\n"


def test_source_round_trips_through_trailers() -> None:
    for source in (Source("abc", False), Source("abc", True), Source(None, True)):
        assert Source.from_trailers(parse(compose("m", source.trailers()))) == source
    assert Source.from_trailers({}) is None

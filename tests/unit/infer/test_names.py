"""Hostile JSON keys always become valid, unique, quoted column names."""

from __future__ import annotations

import pytest

from spotlight_nifi.infer.names import column_names, literal, quote

CASES = [
    ([("a",)], ["a"]),
    ([("",)], ["_"]),
    ([("a.b",), ("a", "b")], ["a_b", "a__b"]),
    ([("a`b",), ("a'b",), ('a"b',)], ["a_b", "a_b_2", "a_b_3"]),
    ([("line\nbreak",)], ["line_break"]),
    ([("é",), ("日本",)], ["é", "日本"]),
    ([("A",), ("a",)], ["A", "a_2"]),
    ([("a__b",), ("a", "b")], ["a__b", "a__b_2"]),
    ([("x" * 300,)], ["x" * 200]),
]


@pytest.mark.parametrize(("paths", "expected"), CASES)
def test_column_names(paths: list[tuple[str, ...]], expected: list[str]) -> None:
    assert column_names(paths) == expected


def test_names_avoid_taken_names() -> None:
    assert column_names([("id",)], taken=["ID"]) == ["id_2"]


def test_quote_escapes_everything_that_ends_an_identifier() -> None:
    assert quote("a`b\\c\nd") == "`a\\`b\\\\c\\nd`"
    assert literal("it's\n") == "'it\\'s\\n'"

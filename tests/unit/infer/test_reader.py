"""Input: JSON Lines / JSON arrays with line numbers; empty and invalid input."""

from __future__ import annotations

import pytest

from spotlight_nifi.errors import InputDataError
from spotlight_nifi.infer.reader import parse_lines


def test_json_lines_keep_their_line_numbers() -> None:
    records = parse_lines("f", b'{"a":1}\n\n{"a":2}\n')
    assert (records.records, records.lines) == ([{"a": 1}, {"a": 2}], [1, 3])


def test_json_array() -> None:
    assert parse_lines("f", b' [{"a":1},{"a":2}]').records == [{"a": 1}, {"a": 2}]


def test_big_integers_stay_exact() -> None:
    assert parse_lines("f", b'{"a":18446744073709551617}').records == [{"a": 18446744073709551617}]


def test_invalid_line_is_an_error_with_its_number() -> None:
    with pytest.raises(InputDataError) as error:
        parse_lines("f.jsonl", b'{"a":1}\n{"a":\n')
    assert str(error.value) == ("`f.jsonl` line 2: invalid JSON (unexpected end of data at column 6); "
                                "use --skip-invalid to skip such lines")


def test_invalid_lines_are_skipped_only_when_asked() -> None:
    records = parse_lines("f", b'{"a":1}\nnope\n[1]\n', skip_invalid=True)
    assert records.records == [{"a": 1}]
    assert [(n, raw) for n, _, raw in records.invalid] == [(2, b"nope"), (3, b"[1]")]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "`f`: no records: the input is empty"),
    (b"\n  \n", "`f`: no records: the input is empty"),
    (b"[]", "`f`: no records: the input is empty"),
])
def test_empty_input_is_an_error(data: bytes, message: str) -> None:
    with pytest.raises(InputDataError) as error:
        parse_lines("f", data)
    assert str(error.value) == message


def test_nan_is_not_json() -> None:
    with pytest.raises(InputDataError, match="line 1: invalid JSON"):
        parse_lines("f", b'{"a": NaN, "b": 12345678901234567890}')

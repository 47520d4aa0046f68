"""How one partition's offsets are compared: gaps as inclusive ranges, duplicates by offset."""

from __future__ import annotations

import pytest

from spotlight_nifi.failures.reconcile import Duplicate, compare


@pytest.mark.parametrize(("start", "end", "loaded", "failed", "missing", "duplicates"), [
    (0, 5, {0: 1, 1: 1, 2: 1, 3: 1}, {4}, [], []),
    (0, 5, {0: 1, 4: 1}, set(), [(1, 3)], []),
    (0, 5, {1: 1, 2: 1}, {3}, [(0, 0), (4, 4)], []),
    (10, 13, {10: 2, 11: 1}, {11, 12}, [], [Duplicate(10, 2, False), Duplicate(11, 1, True)]),
    (0, 3, {}, set(), [(0, 2)], []),
    (7, 7, {}, set(), [], []),
])
def test_compare(start: int, end: int, loaded: dict[int, int], failed: set[int], missing: list[tuple[int, int]],
                 duplicates: list[Duplicate]) -> None:
    report = compare(0, start, end, loaded, failed)
    assert (report.missing, report.duplicates) == (missing, duplicates)
    assert report.expected == end - start
    assert report.missing_count == sum(b - a + 1 for a, b in missing)
    assert (report.loaded, report.failed) == (len(loaded), len(failed))

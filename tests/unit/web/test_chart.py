"""The overview chart's geometry."""

from __future__ import annotations

from datetime import date

from spotlight_nifi.failures.overview import DayCount
from spotlight_nifi.web.chart import PALETTE, daily_chart


def test_bars_stack_per_day_in_class_order_scaled_to_the_busiest_day() -> None:
    since = date(2026, 3, 1)
    counts = [DayCount(date(2026, 3, 2), "wrong type", 30), DayCount(date(2026, 3, 2), "invalid JSON", 10),
              DayCount(date(2026, 3, 4), "wrong type", 20)]
    chart = daily_chart(counts, since, 4, ["invalid JSON", "wrong type"], width=400, height=120)

    assert chart.top == 40
    assert [(b.x, b.y, b.width, b.height, b.color) for b in chart.bars] == [
        (102.0, 75.0, 96.0, 25.0, PALETTE[0]), (102.0, 0.0, 96.0, 75.0, PALETTE[1]),
        (302.0, 50.0, 96.0, 50.0, PALETTE[1])]
    assert chart.bars[0].title == "2026-03-02: 10 invalid JSON"
    assert chart.legend == [("invalid JSON", PALETTE[0]), ("wrong type", PALETTE[1])]
    assert [text for _, text in chart.labels] == ["03-01", "03-02", "03-03", "03-04"]


def test_no_failures_no_bars() -> None:
    chart = daily_chart([], date(2026, 3, 1), 14, ["other"])
    assert (chart.top, chart.bars, chart.legend, len(chart.labels)) == (0, [], [], 7)

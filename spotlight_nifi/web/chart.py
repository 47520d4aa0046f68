"""The overview's chart: failures first seen per day, stacked by reason class, as SVG geometry.

Computed here and drawn by the template as inline SVG: no script, no chart library, and it
renders the same with JavaScript off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from spotlight_nifi.failures.overview import DayCount

PALETTE = ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


@dataclass
class Chart:
    width: int
    height: int
    top: int
    bars: list[Bar] = field(default_factory=list)
    labels: list[tuple[float, str]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)


def daily_chart(counts: Sequence[DayCount], since: date, days: int, classes: Sequence[str],
                width: int = 720, height: int = 180) -> Chart:
    """One stacked bar per day from `since`, one colour per class (in `classes` order)."""
    colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(classes)}
    order = {name: i for i, name in enumerate(classes)}
    per_day: dict[date, list[DayCount]] = {}
    for entry in counts:
        per_day.setdefault(entry.day, []).append(entry)
    top = max((sum(c.failures for c in day) for day in per_day.values()), default=0)
    chart = Chart(width, height, top)
    slot, plot = width / days, height - 20
    for index in range(days):
        day = since + timedelta(days=index)
        x, y = index * slot + 2, float(plot)
        for entry in sorted(per_day.get(day, []), key=lambda c: order.get(c.reason_class, len(order))):
            bar_height = plot * entry.failures / top
            y -= bar_height
            chart.bars.append(Bar(x, y, slot - 4, bar_height, colors.get(entry.reason_class, "#999999"),
                                  f"{day:%Y-%m-%d}: {entry.failures} {entry.reason_class}"))
        if index % max(1, days // 7) == 0:
            chart.labels.append((x, f"{day:%m-%d}"))
    seen = {c.reason_class for c in counts}
    chart.legend = [(name, color) for name, color in colors.items() if name in seen]
    return chart

"""Horizontal bar charts drawn as inline SVG by the templates (no JavaScript, no CDN).

Python decides the geometry; templates/supervision/_bars.html only draws it. Each bar carries
its number as text beside it and a <title>, so the chart reads without hovering and a screen
reader hears "县教育局: 80.0%".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .figures import Row

WIDTH = 720
LABEL_WIDTH = 190  # agency and township names are up to ~11 Chinese characters
PLOT_WIDTH = 420
BAR_HEIGHT = 18
ROW_HEIGHT = 26
TOP = 8


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the number as shown
    y: int
    width: float
    # "low": under the threshold (慢作为); "none": no figure yet (nothing decided).
    tone: str

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 4


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str
    bars: list[Bar]
    # x of the threshold line, when the chart has one.
    marker_x: float | None = None
    marker_text: str = ""

    width: int = WIDTH
    label_width: int = LABEL_WIDTH

    @property
    def height(self) -> int:
        return TOP * 2 + ROW_HEIGHT * max(len(self.bars), 1)

    @property
    def plot_right(self) -> int:
        return LABEL_WIDTH + PLOT_WIDTH


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def rate_chart(rows: Sequence[Row], threshold: float, title: str, description: str) -> BarChart:
    """On-time rate per row on a 0-100 % scale, with the 慢作为 threshold as a line."""
    bars = []
    for i, row in enumerate(rows):
        rate = row.on_time_rate
        bars.append(
            Bar(
                label=row.name,
                text=_percent(rate) if rate is not None else "—",
                y=TOP + i * ROW_HEIGHT,
                width=round((rate or 0.0) * PLOT_WIDTH, 1),
                tone="none" if rate is None else "low" if rate < threshold else "ok",
            )
        )
    return BarChart(
        title=title,
        description=description,
        bars=bars,
        marker_x=LABEL_WIDTH + round(threshold * PLOT_WIDTH, 1),
        marker_text=_percent(threshold),
    )


def count_chart(
    rows: Sequence[Row], value: Callable[[Row], int], title: str, description: str
) -> BarChart:
    """A count per row (received, overdue...), scaled to the largest."""
    top = max((value(r) for r in rows), default=0) or 1
    return BarChart(
        title=title,
        description=description,
        bars=[
            Bar(
                label=row.name,
                text=str(value(row)),
                y=TOP + i * ROW_HEIGHT,
                width=round(value(row) / top * PLOT_WIDTH, 1),
                tone="low" if value(row) else "none",
            )
            for i, row in enumerate(rows)
        ],
    )

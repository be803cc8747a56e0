"""Charts drawn on the server as inline SVG: no script, no image request, nothing to load.

Colours come from classes the stylesheet defines (the page's CSP allows no inline styles).
Every label is escaped, and the chart carries a title and a text alternative for readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

LABEL_WIDTH = 150
BAR_AREA = 360
VALUE_WIDTH = 60
BAR_HEIGHT = 22
GAP = 10
GROUP_TITLE = 28


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    tone: str  # a class the stylesheet colours: bar-a, bar-b, bar-c


@dataclass(frozen=True)
class BarGroup:
    title: str
    bars: tuple[Bar, ...]


def bar_chart(title: str, groups: list[BarGroup]) -> Markup:
    """Horizontal bars, one scale per group (partners and units are not comparable)."""
    width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
    parts: list[str] = []
    y = 0
    for group in groups:
        parts.append(f'<text class="chart-group" x="0" y="{y + 18}">{escape(group.title)}'
                     "</text>")
        y += GROUP_TITLE
        scale = max((bar.value for bar in group.bars), default=Decimal(0))
        for bar in group.bars:
            parts.append(_bar(bar, y, scale))
            y += BAR_HEIGHT + GAP
        y += GAP
    summary = "; ".join(f"{group.title}: " + ", ".join(
        f"{bar.label} {_number(bar.value)}" for bar in group.bars) for group in groups)
    return Markup(
        f'<svg class="chart" role="img" aria-labelledby="chart-title chart-desc" '
        f'viewBox="0 0 {width} {y}" width="{width}" height="{y}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-title">{escape(title)}</title>'
        f'<desc id="chart-desc">{escape(summary)}</desc>{"".join(parts)}</svg>')


def _bar(bar: Bar, y: int, scale: Decimal) -> str:
    length = int(BAR_AREA * bar.value / scale) if scale > 0 else 0
    middle = y + BAR_HEIGHT // 2 + 5
    track = (f'<rect class="chart-track" x="{LABEL_WIDTH}" y="{y}" width="{BAR_AREA}" '
             f'height="{BAR_HEIGHT}" rx="4"/>')
    fill = (f'<rect class="chart-bar {escape(bar.tone)}" x="{LABEL_WIDTH}" y="{y}" '
            f'width="{max(length, 2 if bar.value > 0 else 0)}" height="{BAR_HEIGHT}" rx="4"/>')
    return (f'<text class="chart-label" x="{LABEL_WIDTH - 10}" y="{middle}" '
            f'text-anchor="end">{escape(bar.label)}</text>{track}{fill}'
            f'<text class="chart-value" x="{LABEL_WIDTH + BAR_AREA + 10}" y="{middle}">'
            f"{escape(_number(bar.value))}</text>")


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")

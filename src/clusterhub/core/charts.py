"""Charts as inline SVG rendered on the server: no JavaScript, work offline, print well.

Each function returns markup-safe SVG with a <title> for screen readers and a <title> per mark
for hover values. Series are (label, values) pairs aligned with the category labels; ``None``
values are gaps, never zeros.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#2f6db5", "#e07b24", "#3a9a5b", "#b8423a", "#7b5ea7", "#8c6d46", "#d064a6",
           "#6b7b8c"]
Series = Sequence[tuple[str, Sequence[float | None]]]


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * exp:
            return m * exp
    return 10 * exp


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:,.2g}"


def _frame(title: str, width: int, height: int, body: list[str]) -> SafeString:
    t = escape(title)
    return mark_safe(  # noqa: S308 - every text inside is escaped above
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" '
        f'aria-label="{t}"><title>{t}</title>' + "".join(body) + "</svg>")


def _axes(body: list[str], left: int, top: int, w: int, h: int, vmax: float, unit: str) -> None:
    for i in range(5):
        y = top + h - h * i / 4
        body.append(f'<line x1="{left}" x2="{left + w}" y1="{y:.1f}" y2="{y:.1f}" '
                    f'stroke="#ddd"/><text x="{left - 4}" y="{y + 3:.1f}" font-size="10" '
                    f'text-anchor="end" fill="#555">{_num(vmax * i / 4)}</text>')
    if unit:
        body.append(f'<text x="{left}" y="{top - 6}" font-size="10" fill="#555">'
                    f'{escape(unit)}</text>')


def _legend(body: list[str], series: Series, left: int, y: int) -> None:
    x = left
    for i, (name, _) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        body.append(f'<rect x="{x}" y="{y - 8}" width="10" height="10" fill="{colour}"/>'
                    f'<text x="{x + 14}" y="{y + 1}" font-size="11">{escape(name)}</text>')
        x += 24 + 7 * len(name) + (6 * sum(1 for c in name if ord(c) > 0x1100))


def bar_chart(title: str, categories: Sequence[str], series: Series, unit: str = "",
              width: int = 640, height: int = 280) -> SafeString:
    """Grouped vertical bars: one group per category, one bar per series."""
    left, top, bottom = 56, 24, 46 if len(series) > 1 else 30
    w, h = width - left - 10, height - top - bottom
    values = [v for _, vs in series for v in vs if v is not None]
    vmax = _nice_max(max(values, default=0))
    body: list[str] = []
    _axes(body, left, top, w, h, vmax, unit)
    n = max(len(categories), 1)
    group = w / n
    bar = group * 0.8 / max(len(series), 1)
    for ci, cat in enumerate(categories):
        gx = left + ci * group + group * 0.1
        for si, (name, vs) in enumerate(series):
            v = vs[ci] if ci < len(vs) else None
            if v is None:
                continue
            bh = h * v / vmax
            body.append(f'<rect x="{gx + si * bar:.1f}" y="{top + h - bh:.1f}" '
                        f'width="{max(bar - 1, 1):.1f}" height="{bh:.1f}" '
                        f'fill="{PALETTE[si % len(PALETTE)]}"><title>{escape(str(cat))} · '
                        f'{escape(name)}: {_num(v)}</title></rect>')
        body.append(f'<text x="{left + ci * group + group / 2:.1f}" y="{top + h + 13}" '
                    f'font-size="10" text-anchor="middle">{escape(str(cat))}</text>')
    if len(series) > 1:
        _legend(body, series, left, height - 8)
    return _frame(title, width, height, body)


def line_chart(title: str, categories: Sequence[str], series: Series, unit: str = "",
               width: int = 640, height: int = 280) -> SafeString:
    """Lines with points over ordered categories (years, months)."""
    left, top, bottom = 56, 24, 46 if len(series) > 1 else 30
    w, h = width - left - 10, height - top - bottom
    values = [v for _, vs in series for v in vs if v is not None]
    vmax = _nice_max(max(values, default=0))
    body: list[str] = []
    _axes(body, left, top, w, h, vmax, unit)
    n = len(categories)
    step = w / max(n - 1, 1)
    for ci, cat in enumerate(categories):
        body.append(f'<text x="{left + ci * step:.1f}" y="{top + h + 13}" font-size="10" '
                    f'text-anchor="middle">{escape(str(cat))}</text>')
    for si, (name, vs) in enumerate(series):
        colour = PALETTE[si % len(PALETTE)]
        path: list[str] = []
        for ci, v in enumerate(vs[:n]):
            if v is None:
                path.append("")  # a gap: the next point starts a new segment
                continue
            x, y = left + ci * step, top + h - h * v / vmax
            path.append(f"{'L' if path and path[-1] else 'M'}{x:.1f},{y:.1f}")
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>'
                        f'{escape(str(categories[ci]))} · {escape(name)}: {_num(v)}</title>'
                        f'</circle>')
        d = " ".join(p for p in path if p)
        if d:
            body.insert(0, f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
    if len(series) > 1:
        _legend(body, series, left, height - 8)
    return _frame(title, width, height, body)


def scatter_chart(title: str, points: Sequence[tuple[str, float, float]], x_label: str,
                  y_label: str, x_split: float | None = None, y_split: float | None = None,
                  quadrant_labels: Sequence[str] = (), width: int = 560,
                  height: int = 420) -> SafeString:
    """Labelled points; optional split lines draw a quadrant chart. Quadrant labels go
    top-left, top-right, bottom-left, bottom-right."""
    left, top, right, bottom = 50, 20, 20, 40
    w, h = width - left - right, height - top - bottom
    xs = [p[1] for p in points] + ([x_split] if x_split is not None else [])
    ys = [p[2] for p in points] + ([y_split] if y_split is not None else [])
    x0, x1 = min(xs, default=0), max(xs, default=1)
    y0, y1 = min(ys, default=0), max(ys, default=1)
    padx, pady = (x1 - x0) * 0.08 or 1, (y1 - y0) * 0.08 or 1
    x0, x1, y0, y1 = x0 - padx, x1 + padx, y0 - pady, y1 + pady

    def sx(v: float) -> float:
        return left + w * (v - x0) / (x1 - x0)

    def sy(v: float) -> float:
        return top + h - h * (v - y0) / (y1 - y0)

    body = [f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#bbb"/>']
    if x_split is not None:
        body.append(f'<line x1="{sx(x_split):.1f}" x2="{sx(x_split):.1f}" y1="{top}" '
                    f'y2="{top + h}" stroke="#888" stroke-dasharray="4 3"/>')
    if y_split is not None:
        body.append(f'<line x1="{left}" x2="{left + w}" y1="{sy(y_split):.1f}" '
                    f'y2="{sy(y_split):.1f}" stroke="#888" stroke-dasharray="4 3"/>')
    corners = [(left + 6, top + 14, "start"), (left + w - 6, top + 14, "end"),
               (left + 6, top + h - 6, "start"), (left + w - 6, top + h - 6, "end")]
    for (cx, cy, anchor), label in zip(corners, quadrant_labels, strict=False):
        body.append(f'<text x="{cx}" y="{cy}" font-size="11" fill="#777" '
                    f'text-anchor="{anchor}">{escape(label)}</text>')
    for name, x, y in points:
        body.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="4" fill="{PALETTE[0]}">'
                    f'<title>{escape(name)}: {x:.2f}, {y:.2f}</title></circle>'
                    f'<text x="{sx(x) + 6:.1f}" y="{sy(y) + 4:.1f}" font-size="10">'
                    f'{escape(name)}</text>')
    body.append(f'<text x="{left + w / 2}" y="{height - 8}" font-size="11" '
                f'text-anchor="middle">{escape(x_label)}</text>')
    body.append(f'<text x="12" y="{top + h / 2}" font-size="11" text-anchor="middle" '
                f'transform="rotate(-90 12 {top + h / 2})">{escape(y_label)}</text>')
    return _frame(title, width, height, body)

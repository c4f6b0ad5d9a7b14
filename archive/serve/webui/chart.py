"""Articles per month per source, as an inline SVG stacked bar chart.

Drawn on the server so that it needs no script and no network: it shows in
any browser, in a screenshot and in a page saved for the record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from html import escape

#: Colour-blind-safe palette (Okabe and Ito), then greys.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
OTHER = "#999999"
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 760, 220, 44, 38, 12
MAX_SERIES = len(PALETTE)


def stacked_bars(counts: Iterable[tuple[str, str, int]], title: str) -> str:
    """SVG for rows of (month "YYYY-MM", source, count); "" when there are none.
    More than 8 sources: the smallest are drawn together as "other"."""
    per_month: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_source: dict[str, int] = defaultdict(int)
    for month, source, count in counts:
        if not month:
            continue
        per_month[month][source or "?"] += count
        per_source[source or "?"] += count
    if not per_month:
        return ""
    ranked = sorted(per_source, key=lambda s: (-per_source[s], s))
    shown = ranked if len(ranked) <= MAX_SERIES else ranked[:MAX_SERIES - 1]
    colours = {source: PALETTE[i] for i, source in enumerate(shown)}
    months = _month_range(min(per_month), max(per_month))
    totals = [sum(per_month[m].values()) if m in per_month else 0 for m in months]
    peak = max(totals) or 1
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    step = plot_w / len(months)
    bar = min(40.0, max(1.0, step * 0.8))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="mediarchive-chart" role="img" width="{WIDTH}" '
        f'height="{HEIGHT + 22 * ((len(colours) + 1 + 3) // 4)}" viewBox="0 0 {WIDTH} {HEIGHT + 22 * ((len(colours) + 1 + 3) // 4)}" '
        f'font-family="sans-serif" font-size="11"><title>{escape(title)}</title>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 8}" y2="{TOP + plot_h}" stroke="#444"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{peak:,}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end">0</text>',
    ]
    label_every = max(1, round(len(months) / 12))
    for i, month in enumerate(months):
        x = LEFT + i * step + (step - bar) / 2
        y = TOP + plot_h
        for source, count in sorted(per_month.get(month, {}).items(), key=lambda kv: ranked.index(kv[0])):
            height = plot_h * count / peak
            y -= height
            colour = colours.get(source, OTHER)
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" fill="{colour}">'
                f"<title>{escape(month)} {escape(source)}: {count:,}</title></rect>"
            )
        if i % label_every == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{TOP + plot_h + 14}" text-anchor="middle">{escape(month)}</text>')
    legend = list(colours.items()) + ([("other", OTHER)] if len(ranked) > len(shown) else [])
    for i, (source, colour) in enumerate(legend):
        x = LEFT + (i % 4) * 180
        y = HEIGHT + 22 * (i // 4) - 4
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{y}">{escape(source)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` (YYYY-MM), gaps included."""
    try:
        year, month = int(first[:4]), int(first[5:7])
        end = (int(last[:4]), int(last[5:7]))
    except ValueError:
        return [first] if first == last else [first, last]
    months = []
    while (year, month) <= end and len(months) < 1200:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months

"""Draw a page of KPI rows as inline SVG: one stacked bar per interval, its three ranks from the bottom up."""

from itertools import groupby

from markupsafe import Markup, escape

from api_endpoint.charts import FONT, compact_number, exact_number, line, nice_ticks, scale, svg_open, text

RANK_COLOURS = ["#1864ab", "#4dabf7", "#a5d8ff"]
PLOT_TOP = 16
PLOT_HEIGHT = 220
LEFT_MARGIN = 64
RIGHT_MARGIN = 16
AXIS_HEIGHT = 40
PLOT_WIDTH = 880
TIME_LABELS = 8


def intervals(rows: list[dict], ranked_id: str, measure: str) -> list[dict]:
    """Group a page of KPI rows (ordered by interval, then rank) into one entry per interval."""
    grouped = []
    for (start, end, name), ranked in groupby(
        rows, key=lambda row: (row["interval_start_timestamp"], row["interval_end_timestamp"], row["interval"])
    ):
        ranks = [{"id": row[ranked_id], "value": row[measure]} for row in ranked]
        grouped.append({"start": start, "end": end, "interval": name, "ranks": ranks})
    return grouped


def kpi_svg(grouped: list[dict], noun: str, unit: str, element_id: str) -> Markup | None:
    """Return the stacked bars of a page of intervals (of one granularity) as an SVG element, or None for none."""
    if not grouped:
        return None
    totals = [sum(rank["value"] for rank in entry["ranks"]) for entry in grouped]
    ticks = nice_ticks(0, max(totals))
    plot_bottom = PLOT_TOP + PLOT_HEIGHT
    plot_right = LEFT_MARGIN + PLOT_WIDTH
    y = scale(ticks[0], ticks[-1], plot_bottom, PLOT_TOP)
    slot = PLOT_WIDTH / len(grouped)
    bar_width = max(slot * 0.8, 1)
    first, last = grouped[0], grouped[-1]
    summary = f"Top 3 {noun} by {unit}, {len(grouped)} {first['interval']} intervals, {first['start']} to {last['end']}"
    parts = [svg_open(element_id, summary, plot_right + RIGHT_MARGIN, plot_bottom + AXIS_HEIGHT)]
    for tick in ticks:
        parts.append(line("grid", LEFT_MARGIN, plot_right, y(tick), y(tick), "#e4e7eb"))
        parts.append(
            f'<text x="{LEFT_MARGIN - 6}" y="{y(tick) + 4}" text-anchor="end" {FONT} fill="#616e7c">'
            f"{escape(compact_number(tick))}</text>"
        )
    for index, entry in enumerate(grouped):
        x = LEFT_MARGIN + index * slot + (slot - bar_width) / 2
        base = 0.0
        for rank, ranked in enumerate(entry["ranks"]):
            top = base + ranked["value"]
            label = (
                f"{entry['start']} ({entry['interval']}), #{rank + 1}: {noun[:-1]} {ranked['id']}, "
                f"{exact_number(ranked['value'])} {unit}"
            )
            parts.append(
                f'<rect class="bar rank-{rank + 1}" x="{x:.2f}" y="{y(top):.2f}" width="{bar_width:.2f}" '
                f'height="{max(y(base) - y(top), 0):.2f}" fill="{RANK_COLOURS[rank % 3]}">'
                f"<title>{escape(text(label))}</title></rect>"
            )
            base = top
    every = max(len(grouped) // TIME_LABELS, 1)
    for index in range(0, len(grouped), every):
        x = LEFT_MARGIN + (index + 0.5) * slot
        parts.append(
            f'<text class="time" x="{x:.2f}" y="{plot_bottom + 16}" text-anchor="middle" {FONT} fill="#616e7c">'
            f"{escape(grouped[index]['start'][5:16])}</text>"
        )
    parts.append(line("zero", LEFT_MARGIN, plot_right, plot_bottom, plot_bottom, "#52606d"))
    for rank, colour in enumerate(RANK_COLOURS):
        x = LEFT_MARGIN + rank * 90
        parts.append(
            f'<rect x="{x}" y="{plot_bottom + 26}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{plot_bottom + 35}" {FONT}>rank {rank + 1}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def kpi_charts(grouped: list[dict], noun: str, unit: str) -> list[tuple[str, Markup]]:
    """One chart per granularity on the page (an hour's bar beside five minutes' would mislead), 5-minute first."""
    names = sorted({entry["interval"] for entry in grouped}, key=lambda name: (name != "5-minute", name))
    return [
        (name, kpi_svg([entry for entry in grouped if entry["interval"] == name], noun, unit, f"kpi-chart-{name}"))
        for name in names
    ]

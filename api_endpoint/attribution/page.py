"""Draw an attribution answer as inline SVG: a waterfall of contributions, or score bars for normdiff."""

import math

from markupsafe import Markup, escape

from api_endpoint.charts import FONT, compact_number, exact_number, nice_ticks
from api_endpoint.charts import line as _line
from api_endpoint.charts import scale as _scale
from api_endpoint.charts import svg_open as _svg_open
from api_endpoint.charts import text as _text

COLOURS = {"total": "#868e96", "positive": "#2f9e44", "negative": "#e03131"}
OTHER_COLOURS = {"positive": "#8ce99a", "negative": "#ffa8a8"}
PLOT_TOP = 24
PLOT_HEIGHT = 240
LEFT_MARGIN = 64
RIGHT_MARGIN = 16
SLOT_WIDTH = 72
MIN_WIDTH = 480
LABEL_CHARS = 18
# Labels longer than this many characters overlap their neighbours unless rotated.
FLAT_LABEL_CHARS = 10
SCORE_LABEL_WIDTH = 180
# Room beside the plot for the value text of a bar that reaches the axis's end.
SCORE_VALUE_WIDTH = 44
SCORE_PLOT_WIDTH = 440
SCORE_ROW_HEIGHT = 24


def contributions(answer: dict) -> list[tuple[str, float]] | None:
    """Return the (label, contribution) pairs the waterfall stacks, or None when the algorithm has none."""
    algorithm = answer.get("algorithm")
    ranks = answer.get("ranks") or []
    if algorithm == "normdiff":
        return None
    if algorithm == "adtributor":
        # Each dimension's set explains the same change again; stacking two of them would double count it.
        first_dimension = ranks[0].get("dimension") if ranks else None
        return [
            (f"{rank.get('dimension')}={_text(rank.get('value'))}", _number(rank.get("contribution")))
            for rank in ranks
            if rank.get("dimension") == first_dimension
        ]
    label_key = "metric" if algorithm == "decomposition" else "value"
    return [(_text(rank.get(label_key)), _number(rank.get("contribution"))) for rank in ranks]


def waterfall(answer: dict) -> dict | None:
    """Lay out the waterfall: baseline, one bar per contribution, the unexplained rest, target.

    Totals run from 0 (start) to the total (end); every other bar from the running total before it to after it.
    """
    steps = contributions(answer)
    if steps is None:
        return None
    baseline = _number(answer.get("baseline_value"))
    target = answer.get("target_value")
    change = answer.get("change")
    if change is None:
        change = (_number(target) - baseline) if target is not None else 0.0
    target = baseline + change if target is None else target
    listed = math.fsum(value for _, value in steps)

    bars = [_bar("baseline", "Baseline", baseline, 0.0, baseline)]
    running = baseline
    for label, value in steps:
        bars.append(_bar("contribution", label, value, running, running + value))
        running += value
    if abs(change - listed) > 1e-9 * max(1.0, abs(change)):
        rest = target - baseline - listed
        bars.append(_bar("other", "Other", rest, running, running + rest))
    if len(bars) > 1:
        # Float sums drift by an ulp or two; the last step must land exactly on the target's top.
        bars[-1]["end"] = target
    bars.append(_bar("target", "Target", target, 0.0, target))

    ticks = nice_ticks(*axis_range(bars))
    rotated = any(len(bar["label"]) > FLAT_LABEL_CHARS for bar in bars)
    width = max(MIN_WIDTH, LEFT_MARGIN + SLOT_WIDTH * len(bars) + RIGHT_MARGIN)
    height = PLOT_TOP + PLOT_HEIGHT + (96 if rotated else 36)
    to_y = _scale(ticks[0], ticks[-1], PLOT_TOP + PLOT_HEIGHT, PLOT_TOP)
    slot = (width - LEFT_MARGIN - RIGHT_MARGIN) / len(bars)
    for index, bar in enumerate(bars):
        # A total on a zoomed axis runs off its foot: it is drawn from the axis's first tick.
        start, end = (min(max(level, ticks[0]), ticks[-1]) for level in (bar["start"], bar["end"]))
        top, bottom = sorted((to_y(start), to_y(end)))
        bar.update(
            x=round(LEFT_MARGIN + slot * index + slot * 0.15, 2),
            y=round(top, 2),
            width=round(slot * 0.7, 2),
            # A zero contribution still gets a hairline so its slot does not look empty.
            height=round(max(bottom - top, 1.0), 2),
        )
    return {
        "bars": bars,
        "ticks": [{"value": tick, "y": round(to_y(tick), 2)} for tick in ticks],
        "zero_y": round(to_y(min(max(0.0, ticks[0]), ticks[-1])), 2),
        "zoomed": ticks[0] > 0 or ticks[-1] < 0,
        "rotated_labels": rotated,
        "width": width,
        "height": height,
        "plot_top": PLOT_TOP,
        "plot_bottom": PLOT_TOP + PLOT_HEIGHT,
        "plot_left": LEFT_MARGIN,
        "plot_right": width - RIGHT_MARGIN,
        "metric": _text(answer.get("metric_col")),
    }


def axis_range(bars: list[dict]) -> tuple[float, float]:
    """Return the values the axis must show: from 0, unless the steps run far from it.

    A day's change is often a few percent of its total; from 0, every step would be a hairline beside two tall
    totals. The axis then zooms in on where the steps run, and the totals run off its foot.
    """
    levels = [
        level for bar in bars for level in (bar["start"], bar["end"]) if bar["kind"] not in ("baseline", "target")
    ]
    levels += [bars[0]["end"], bars[-1]["end"]]
    low, high = min(levels), max(levels)
    span = high - low
    if low > 0 and span < 0.5 * high:
        return max(0.0, low - span * 0.5), high
    if high < 0 and span < 0.5 * -low:
        return low, min(0.0, high + span * 0.5)
    return min(low, 0.0), max(high, 0.0)


def score_bars(answer: dict) -> dict | None:
    """Lay out one horizontal bar per rank with a score, or return None when no rank has one."""
    ranks = [rank for rank in answer.get("ranks") or [] if rank.get("score") is not None]
    if not ranks:
        return None
    ticks = nice_ticks(min(0.0, *(rank["score"] for rank in ranks)), max(0.0, *(rank["score"] for rank in ranks)))
    plot_left = SCORE_LABEL_WIDTH + SCORE_VALUE_WIDTH
    to_x = _scale(ticks[0], ticks[-1], plot_left, plot_left + SCORE_PLOT_WIDTH)
    bars = []
    for index, rank in enumerate(ranks):
        left, right = sorted((to_x(0.0), to_x(rank["score"])))
        bars.append(
            {
                "kind": "score",
                "label": _text(rank.get("metric", rank.get("value"))),
                "value": rank["score"],
                "sign": "positive" if rank["score"] >= 0 else "negative",
                "x": round(left, 2),
                "y": round(PLOT_TOP + SCORE_ROW_HEIGHT * index + 4, 2),
                "width": round(max(right - left, 1.0), 2),
                "height": SCORE_ROW_HEIGHT - 8,
            }
        )
    return {
        "bars": bars,
        "ticks": [{"value": tick, "x": round(to_x(tick), 2)} for tick in ticks],
        "zero_x": round(to_x(0.0), 2),
        "width": plot_left + SCORE_PLOT_WIDTH + SCORE_VALUE_WIDTH,
        "height": PLOT_TOP + SCORE_ROW_HEIGHT * len(bars) + 28,
        "plot_top": PLOT_TOP,
        "plot_bottom": PLOT_TOP + SCORE_ROW_HEIGHT * len(bars),
        "metric": _text(answer.get("metric_col")),
    }


def _value_axis(chart: dict, along: str) -> list[str]:
    """The value axis: a grid line and a label per tick, then the zero line; `along` is "y" when the values run
    up the chart (the waterfall) and "x" when they run across it (the scores)."""
    parts = []
    for tick in chart["ticks"]:
        if along == "y":
            grid = _line("grid", chart["plot_left"], chart["plot_right"], tick["y"], tick["y"], "#e4e7eb")
            x, y, anchor = chart["plot_left"] - 6, tick["y"] + 4, "end"
        else:
            grid = _line("grid", tick["x"], tick["x"], chart["plot_top"], chart["plot_bottom"], "#e4e7eb")
            x, y, anchor = tick["x"], chart["plot_bottom"] + 16, "middle"
        label = escape(compact_number(tick["value"]))
        parts.append(f'{grid}<text x="{x}" y="{y}" text-anchor="{anchor}" {FONT} fill="#616e7c">{label}</text>')
    if along == "y":
        zero = (chart["plot_left"], chart["plot_right"], chart["zero_y"], chart["zero_y"])
    else:
        zero = (chart["zero_x"], chart["zero_x"], chart["plot_top"], chart["plot_bottom"])
    return [*parts, _line("zero", *zero, "#52606d")]


def waterfall_svg(answer: dict) -> Markup | None:
    """Return the waterfall as an SVG element, or None for an answer without contributions."""
    chart = waterfall(answer)
    if chart is None:
        return None
    bars = chart["bars"]
    steps = len(bars) - 2
    summary = (
        f"Waterfall of {chart['metric']}: from {compact_number(bars[0]['value'])} to "
        f"{compact_number(bars[-1]['value'])} in {steps} step{'' if steps == 1 else 's'}"
    )
    parts = [_svg_open("waterfall", summary, chart["width"], chart["height"]), *_value_axis(chart, "y")]
    if chart["zoomed"]:
        parts.append(
            f'<text class="zoomed" x="{chart["plot_right"]}" y="{chart["plot_top"] - 8}" text-anchor="end" {FONT} '
            f'fill="#616e7c">the axis does not start at 0</text>'
        )
    for index, bar in enumerate(bars):
        center = round(bar["x"] + bar["width"] / 2, 2)
        if bar["kind"] in ("baseline", "target"):
            classes, colour, value_text = "bar total", COLOURS["total"], compact_number(bar["value"])
        else:
            sign = "positive" if bar["value"] >= 0 else "negative"
            classes = f"bar {bar['kind']} {sign}"
            colour = (COLOURS if bar["kind"] == "contribution" else OTHER_COLOURS)[sign]
            value_text = ("+" if bar["value"] >= 0 else "") + compact_number(bar["value"])
        parts.append(
            f'<rect class="{classes}" x="{bar["x"]}" y="{bar["y"]}" width="{bar["width"]}" height="{bar["height"]}" '
            f'fill="{colour}"><title>{escape(bar["label"])}: {escape(exact_number(bar["value"]))}</title></rect>'
            f'<text class="value" x="{center}" y="{round(bar["y"] - 4, 2)}" text-anchor="middle" {FONT}>'
            f"{escape(value_text)}</text>"
            + _bar_label(bar["label"], center, chart["plot_bottom"] + 14, chart["rotated_labels"])
        )
        if index + 1 < len(bars):
            # The dashed step shows where the next bar picks up the running total.
            level_y = bar["y"] if (bar["end"] >= bar["start"]) else round(bar["y"] + bar["height"], 2)
            parts.append(
                f'<line class="step" x1="{round(bar["x"] + bar["width"], 2)}" x2="{bars[index + 1]["x"]}" '
                f'y1="{level_y}" y2="{level_y}" stroke="#9aa5b1" stroke-dasharray="3 2"/>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def score_svg(answer: dict) -> Markup | None:
    """Return the normdiff scores as a horizontal bar chart, or None when no rank has a score."""
    chart = score_bars(answer)
    if chart is None:
        return None
    summary = f"Normalised difference scores of the metrics behind {chart['metric']}, {len(chart['bars'])} bars"
    parts = [_svg_open("scores", summary, chart["width"], chart["height"]), *_value_axis(chart, "x")]
    for bar in chart["bars"]:
        middle = round(bar["y"] + bar["height"] / 2 + 4, 2)
        positive = bar["sign"] == "positive"
        value_x = round(bar["x"] + bar["width"] + 4 if positive else bar["x"] - 4, 2)
        parts.append(
            f'<rect class="bar score {bar["sign"]}" x="{bar["x"]}" y="{bar["y"]}" width="{bar["width"]}" '
            f'height="{bar["height"]}" fill="{COLOURS[bar["sign"]]}">'
            f"<title>{escape(bar['label'])}: {escape(exact_number(bar['value']))}</title></rect>"
            f'<text class="label" x="{SCORE_LABEL_WIDTH - 8}" y="{middle}" text-anchor="end" {FONT}>'
            f"{escape(_shorten(bar['label'], 28))}</text>"
            f'<text class="value" x="{value_x}" y="{middle}" text-anchor="{"start" if positive else "end"}" {FONT}>'
            f"{escape(compact_number(bar['value']))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _bar(kind: str, label: str, value: float, start: float, end: float) -> dict:
    return {"kind": kind, "label": label, "value": value, "start": start, "end": end}


def _number(value: float | None) -> float:
    return 0.0 if value is None else float(value)


def _shorten(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _bar_label(label: str, x: float, y: float, rotated: bool) -> str:
    if rotated:
        return (
            f'<text class="label" x="{x}" y="{y}" text-anchor="end" transform="rotate(-40 {x} {y})" {FONT}>'
            f"{escape(_shorten(label, LABEL_CHARS))}</text>"
        )
    return f'<text class="label" x="{x}" y="{y}" text-anchor="middle" {FONT}>{escape(label)}</text>'

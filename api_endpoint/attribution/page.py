"""Draw an attribution answer as inline SVG: a waterfall of contributions, or score bars for normdiff."""

import math
import re

from markupsafe import Markup, escape

COLOURS = {"total": "#868e96", "positive": "#2f9e44", "negative": "#e03131"}
OTHER_COLOURS = {"positive": "#8ce99a", "negative": "#ffa8a8"}
FONT = 'font-family="system-ui, sans-serif" font-size="11"'
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
# Characters XML 1.0 forbids even when escaped; data may still carry them.
INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def compact_number(value: float | None) -> str:
    """Format a number short enough for a chart label: 1.2M, 34.5k, 57.5, 0.0076."""
    if value is None:
        return "—"
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude < 1:
        return f"{value:.2g}"
    scaled, suffix = value, ""
    for scale, scale_suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        # 999.6 would round up to "1000", so it already belongs to the next scale.
        if magnitude >= scale * 0.9995:
            scaled, suffix = value / scale, scale_suffix
            break
    digits = 0 if abs(scaled) >= 100 else 1 if abs(scaled) >= 10 else 2
    text = f"{scaled:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + suffix


def exact_number(value: float | None) -> str:
    """Format a number in full, with thousands separators, for tooltips."""
    if value is None:
        return "null"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return format(value, ",")


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Return about `count` round tick values covering [low, high]."""
    if high < low:
        low, high = high, low
    if high == low:
        low, high = (0.0, 1.0) if low == 0 else (min(0.0, low), max(0.0, high))
    step = _nice_step((high - low) / max(count - 1, 1))
    first, last = math.floor(low / step), math.ceil(high / step)
    # Rounding each multiple keeps 0.1 * 3 from printing as 0.30000000000000004.
    return [round(index * step, 12) for index in range(first, last + 1)]


def _nice_step(raw_step: float) -> float:
    exponent = math.floor(math.log10(raw_step))
    fraction = raw_step / 10**exponent
    # Round to the nearest nice step rather than up, so 105 gives steps of 100 and not 200.
    nice_fraction = next((nice for nice, limit in ((1, 1.5), (2, 2.25), (2.5, 3.5), (5, 7.5)) if fraction < limit), 10)
    return nice_fraction * 10**exponent


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


def _line(css_class: str, x1, x2, y1, y2, stroke: str) -> str:
    return f'<line class="{css_class}" x1="{x1}" x2="{x2}" y1="{y1}" y2="{y2}" stroke="{stroke}"/>'


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


def _text(value: object) -> str:
    return INVALID_XML.sub("", "(none)" if value is None else str(value))


def _scale(domain_low: float, domain_high: float, pixel_low: float, pixel_high: float):
    span = (domain_high - domain_low) or 1.0
    return lambda value: pixel_low + (value - domain_low) / span * (pixel_high - pixel_low)


def _shorten(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _bar_label(label: str, x: float, y: float, rotated: bool) -> str:
    if rotated:
        return (
            f'<text class="label" x="{x}" y="{y}" text-anchor="end" transform="rotate(-40 {x} {y})" {FONT}>'
            f"{escape(_shorten(label, LABEL_CHARS))}</text>"
        )
    return f'<text class="label" x="{x}" y="{y}" text-anchor="middle" {FONT}>{escape(label)}</text>'


def _svg_open(element_id: str, summary: str, width: float, height: float) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{element_id}" role="img" aria-label="{escape(summary)}" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(summary)}</title>"
    )

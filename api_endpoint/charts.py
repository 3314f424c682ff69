"""What every chart of the site draws with: round ticks, short and exact numbers, scales, and safe SVG."""

import math
import re

from markupsafe import escape

FONT = 'font-family="system-ui, sans-serif" font-size="11"'
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


def line(css_class: str, x1, x2, y1, y2, stroke: str) -> str:
    return f'<line class="{css_class}" x1="{x1}" x2="{x2}" y1="{y1}" y2="{y2}" stroke="{stroke}"/>'


def text(value: object) -> str:
    return INVALID_XML.sub("", "(none)" if value is None else str(value))


def scale(domain_low: float, domain_high: float, pixel_low: float, pixel_high: float):
    span = (domain_high - domain_low) or 1.0
    return lambda value: pixel_low + (value - domain_low) / span * (pixel_high - pixel_low)


def svg_open(element_id: str, summary: str, width: float, height: float) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{element_id}" role="img" aria-label="{escape(summary)}" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(summary)}</title>"
    )

"""The attribution page draws a waterfall that adds up, escapes the data, and renders its ranked table."""

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api_endpoint.attribution.page import (
    compact_number,
    nice_ticks,
    score_bars,
    score_svg,
    waterfall,
    waterfall_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
API_DIR = Path(__file__).resolve().parents[2] / "api_endpoint"


def decomposition(baseline=400.0, target=420.0, contributions=(57.5, -37.5)):
    """Return a decomposition answer whose leaves carry `contributions`."""
    metrics = ["averageBetCarded", "handlePullsCarded", "coinInUncarded", "handlePullsUncarded"]
    return {
        "metric_col": "coinIn",
        "date_target": "2019-03-05",
        "baseline_dates": ["2019-02-26"],
        "group": {"zone": "Z2"},
        "algorithm": "decomposition",
        "method": "bestranks",
        "target_value": target,
        "baseline_value": baseline,
        "change": target - baseline,
        "relative_change": (target - baseline) / baseline if baseline else None,
        "explained_share": 1.0,
        "ranks": [
            {"metric": metric, "level": 2, "parent": "coinInCarded", "contribution": value, "share": 0.5}
            for metric, value in zip(metrics, contributions, strict=False)
        ],
    }


def contribution_answer():
    """Return a contribution answer over banks, one rank with null values."""
    return {
        "metric_col": "coinIn",
        "date_target": "2019-03-05",
        "baseline_dates": ["2019-02-26", "2019-02-19"],
        "group": {},
        "dimension": "bank",
        "algorithm": "contribution",
        "method": "bestranks",
        "target_value": 200.0,
        "baseline_value": 500.0,
        "change": -300.0,
        "relative_change": -0.6,
        "explained_share": 1.0,
        "ranks": [
            {"value": "B1", "target_value": 0.0, "baseline_value": 400.0, "contribution": -400.0, "share": 1.33},
            {"value": "B2", "target_value": 200.0, "baseline_value": 100.0, "contribution": 100.0, "share": -0.33},
            {"value": "B3", "target_value": None, "baseline_value": None, "contribution": None, "share": None},
        ],
    }


def adtributor_answer():
    """Return an adtributor answer whose bank and zone sets each explain the whole change."""
    return {
        "metric_col": "coinIn",
        "date_target": "2019-03-05",
        "baseline_dates": ["2019-02-26"],
        "group": {},
        "algorithm": "adtributor",
        "method": "bestranks",
        "target_value": 1200.0,
        "baseline_value": 1000.0,
        "change": 200.0,
        "relative_change": 0.2,
        "explained_share": 1.0,
        "ranks": [
            {"dimension": "bank", "value": "B2", "ep": 0.75, "surprise": 0.0076, "contribution": 150.0, "share": 0.75},
            {"dimension": "bank", "value": "B1", "ep": 0.25, "surprise": 0.001, "contribution": 50.0, "share": 0.25},
            {"dimension": "zone", "value": "Z1", "ep": 1.0, "surprise": 0.0005, "contribution": 200.0, "share": 1.0},
        ],
        "dimensions": [
            {"dimension": "bank", "surprise": 0.0086, "explained_share": 1.0},
            {"dimension": "zone", "surprise": 0.0005, "explained_share": 1.0},
            {"dimension": "denomination", "surprise": None, "explained_share": None},
        ],
    }


def normdiff_answer():
    """Return a normdiff answer with one unscored metric."""
    return {
        **decomposition(),
        "algorithm": "normdiff",
        "explained_share": None,
        "ranks": [
            {"metric": "averageBetCarded", "target_value": 5.0, "baseline_value": 2.0, "score": 1.09},
            {"metric": "theoWin", "target_value": 1.0, "baseline_value": 2.0, "score": -0.4},
            {"metric": "sessionsCarded", "target_value": None, "baseline_value": 2.0, "score": None},
        ],
    }


def bars_of(svg, svg_id="waterfall"):
    """Parse the SVG and return its root and the class attribute of every bar."""
    root = ET.fromstring(str(svg))
    assert root.get("id") == svg_id and root.get("role") == "img" and root.get("aria-label")
    assert root.get("viewBox") and root.get("width") == "100%"
    return root, [element.get("class") for element in root.iter(f"{SVG}rect") if "bar" in element.get("class", "")]


def kinds(chart):
    return [bar["kind"] for bar in chart["bars"]]


def assert_closes(chart, answer):
    """The bars chain into each other and the last step lands on the target."""
    bars = chart["bars"]
    assert bars[0]["end"] == pytest.approx(answer["baseline_value"] or 0.0, rel=1e-9, abs=1e-9)
    for before, after in zip(bars[1:-2], bars[2:-1], strict=False):
        assert after["start"] == before["end"]
    if len(bars) > 2:
        assert bars[1]["start"] == bars[0]["end"]
        assert math.isclose(bars[-2]["end"], answer["target_value"], rel_tol=1e-9, abs_tol=1e-9)
    assert bars[-1]["end"] == answer["target_value"]


@pytest.mark.parametrize(
    ("answer", "labels"),
    [
        (decomposition(), ["averageBetCarded", "handlePullsCarded"]),
        (contribution_answer(), ["B1", "B2", "B3"]),
        (adtributor_answer(), ["bank=B2", "bank=B1"]),
    ],
    ids=["decomposition", "contribution", "adtributor"],
)
def test_one_bar_per_contribution(answer, labels):
    chart = waterfall(answer)
    contributions = [bar for bar in chart["bars"] if bar["kind"] == "contribution"]
    assert [bar["label"] for bar in contributions] == labels
    assert kinds(chart)[0] == "baseline" and kinds(chart)[-1] == "target"
    assert "other" not in kinds(chart)
    assert_closes(chart, answer)
    _, classes = bars_of(waterfall_svg(answer))
    assert sum("contribution" in bar_class.split() for bar_class in classes) == len(labels)
    assert classes.count("bar total") == 2


def test_adtributor_uses_only_the_first_dimension():
    answer = adtributor_answer()
    labels = [bar["label"] for bar in waterfall(answer)["bars"]]
    assert not any(label.startswith("zone=") for label in labels)
    assert sum(bar["value"] for bar in waterfall(answer)["bars"] if bar["kind"] == "contribution") == 200.0


def test_other_bar_appears_when_the_ranks_do_not_add_up():
    answer = decomposition(contributions=(57.5, -30.0))
    chart = waterfall(answer)
    assert kinds(chart) == ["baseline", "contribution", "contribution", "other", "target"]
    assert chart["bars"][3]["value"] == pytest.approx(-7.5)
    assert_closes(chart, answer)
    _, classes = bars_of(waterfall_svg(answer))
    assert classes.count("bar other negative") == 1


def test_other_bar_absent_within_rounding():
    answer = decomposition(baseline=0.1 + 0.2, target=1.0, contributions=(0.3, 0.4))
    assert "other" not in kinds(waterfall(answer))
    assert_closes(waterfall(answer), answer)


def test_no_contributions_leave_the_whole_change_to_other():
    answer = decomposition(contributions=())
    assert kinds(waterfall(answer)) == ["baseline", "other", "target"]
    assert_closes(waterfall(answer), answer)
    bars_of(waterfall_svg(answer))


def test_single_contribution():
    answer = decomposition(contributions=(20.0,))
    chart = waterfall(answer)
    assert kinds(chart) == ["baseline", "contribution", "target"]
    assert chart["bars"][1]["start"] == 400.0 and chart["bars"][1]["end"] == 420.0
    assert 'aria-label="Waterfall of coinIn: from 400 to 420 in 1 step"' in waterfall_svg(answer)


def test_negative_totals():
    answer = decomposition(baseline=-1500.0, target=2500.0, contributions=(5000.0, -1000.0))
    answer["metric_col"] = "actualWin"
    chart = waterfall(answer)
    assert_closes(chart, answer)
    assert chart["ticks"][0]["value"] <= -1500 and chart["ticks"][-1]["value"] >= 3500
    baseline_bar, target_bar = chart["bars"][0], chart["bars"][-1]
    # The negative baseline hangs below the zero line, the positive target stands on it.
    assert baseline_bar["y"] == pytest.approx(chart["zero_y"])
    assert target_bar["y"] + target_bar["height"] == pytest.approx(chart["zero_y"])
    bars_of(waterfall_svg(answer))


def test_zero_change_and_all_zero_values():
    answer = decomposition(baseline=0.0, target=0.0, contributions=(0.0, 0.0))
    chart = waterfall(answer)
    assert kinds(chart) == ["baseline", "contribution", "contribution", "target"]
    assert [tick["value"] for tick in chart["ticks"]][-1] > 0
    assert all(bar["height"] >= 1 and math.isfinite(bar["y"]) for bar in chart["bars"])
    _, classes = bars_of(waterfall_svg(answer))
    assert len(classes) == 4


def test_offsetting_contributions_with_zero_change():
    answer = decomposition(baseline=300.0, target=300.0, contributions=(50.0, -50.0))
    assert kinds(waterfall(answer)) == ["baseline", "contribution", "contribution", "target"]
    assert_closes(waterfall(answer), answer)


def test_null_totals_and_contributions_count_as_zero():
    answer = {"metric_col": "coinIn", "algorithm": "contribution", "target_value": None, "baseline_value": None}
    answer |= {"change": None, "ranks": [{"value": None, "contribution": None}]}
    chart = waterfall(answer)
    assert [bar["value"] for bar in chart["bars"]] == [0.0, 0.0, 0.0]
    bars_of(waterfall_svg(answer))


def test_large_numbers_are_shortened():
    answer = decomposition(baseline=12_000_000.0, target=12_034_500.0, contributions=(1_234_567.0, -1_200_067.0))
    svg = str(waterfall_svg(answer))
    assert ">12M<" in svg and ">+1.23M<" in svg
    assert "1,234,567" in svg  # the tooltip keeps the exact value
    assert [compact_number(value) for value in (34_500, 999.6, -400, 0.0076, 0)] == [
        "34.5k",
        "1k",
        "-400",
        "0.0076",
        "0",
    ]


def test_ticks_are_round():
    assert nice_ticks(0, 420) == [0, 100, 200, 300, 400, 500]
    assert nice_ticks(0, 0) == [0, 0.25, 0.5, 0.75, 1]
    assert nice_ticks(-1500, 3500) == [-2000, -1000, 0, 1000, 2000, 3000, 4000]
    assert nice_ticks(0, 1.2e9)[-1] == 1.25e9


def test_long_labels_are_rotated_and_truncated():
    answer = decomposition()
    answer["ranks"][0]["metric"] = "a" * 60
    svg = str(waterfall_svg(answer))
    assert "rotate(-40" in svg and "a" * 17 + "…" in svg and "a" * 60 in svg  # full label in the tooltip


def test_labels_are_escaped():
    answer = contribution_answer()
    answer["ranks"][0]["value"] = "<script>alert(1)</script>"
    svg = str(waterfall_svg(answer))
    assert "<script>" not in svg
    root, _ = bars_of(svg)
    titles = [title.text for title in root.iter(f"{SVG}title")]
    assert "<script>alert(1)</script>: -400" in titles


def test_normdiff_draws_scores_not_a_waterfall():
    answer = normdiff_answer()
    assert waterfall(answer) is None and waterfall_svg(answer) is None
    assert [bar["label"] for bar in score_bars(answer)["bars"]] == ["averageBetCarded", "theoWin"]
    _, classes = bars_of(score_svg(answer), "scores")
    assert classes == ["bar score positive", "bar score negative"]


def test_no_scores_give_no_score_chart():
    answer = normdiff_answer()
    answer["ranks"] = [{"metric": "theoWin", "score": None}]
    assert score_bars(answer) is None and score_svg(answer) is None


@pytest.fixture
def page():
    environment = Environment(
        loader=FileSystemLoader([API_DIR / "attribution" / "templates", API_DIR / "templates"]),
        autoescape=select_autoescape(["html"]),
    )
    environment.globals["url_for"] = lambda *args, **kwargs: "/x"
    return environment.get_template("attribution/page.html")


OPTIONS = {
    "metrics": ["coinIn", "actualWin"],
    "zones": ["Z1", "Z2"],
    "banks": [],
    "game_types": [],
    "denominations": [0.01, 1],
    "dimensions": ["asset", "bank", "zone", "denomination", "gameType"],
    "algorithms": {
        "singlerankmetrics": ["decomposition", "normdiff"],
        "grouprankmetrics": ["decomposition", "normdiff"],
        "grouprankdimensions": ["contribution", "adtributor"],
    },
    "methods": ["bestranks", "worstranks"],
}


def render(page, answer=None, error=None, values=None, endpoint="grouprankmetrics"):
    chart = None
    if answer:
        chart = waterfall_svg(answer) or score_svg(answer)
    return page.render(
        endpoint=endpoint,
        values=values or {},
        options=OPTIONS,
        answer=answer,
        error=error,
        chart=chart,
        json_url="/attribution/grouprankmetrics?date_target=2019-03-05" if answer else None,
    )


def test_template_renders_the_answer(page):
    answer = decomposition()
    html = render(page, answer, values={"date_target": "2019-03-05", "zone": "Z2", "denomination": "0.01"})
    assert "Why did coinIn change on 2019-03-05?" in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" id="waterfall"' in html  # not escaped a second time
    assert 'value="2019-03-05"' in html and '<option value="Z2" selected>' in html
    assert '<option value="0.01" selected>' in html and '<option value="coinIn" selected>' in html
    ranks = html[html.index('<table id="ranks">') :]
    ranks = ranks[: ranks.index("</table>")]
    assert ranks.split("<tbody>")[1].count("<tr>") == 2
    assert "57.50" in ranks and "50.0%" in ranks and "<th>rate effect</th>" not in ranks
    assert "+5.0%" in html and 'href="/attribution/grouprankmetrics?date_target=2019-03-05"' in html


def test_template_renders_adtributor_and_normdiff(page):
    html = render(page, adtributor_answer(), endpoint="grouprankdimensions")
    assert '<table id="dimensions">' in html and "0.0086" in html and "<th>surprise</th>" in html
    assert html.split('<table id="ranks">')[1].split("</table>")[0].count("<tr>") == 4
    html = render(page, normdiff_answer())
    assert 'id="scores"' in html and "1.09" in html and "—" in html


def test_template_escapes_data(page):
    answer = contribution_answer()
    answer["ranks"][0]["value"] = "<script>alert(1)</script>"
    html = render(page, answer, endpoint="grouprankdimensions")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_template_renders_error_details(page):
    error = {
        "message": "invalid parameter for date_target, limit",
        "details": {"fields": {"date_target": ["Not a valid date."], "limit": ["Must be at least 1."]}},
    }
    html = render(page, error=error, values={"limit": "0"})
    assert "invalid parameter for date_target, limit" in html
    assert "Not a valid date." in html and "Must be at least 1." in html
    assert 'id="answer"' not in html and 'value="0"' in html


def test_template_renders_an_empty_form(page):
    html = page.render(endpoint="singlerankmetrics", values={}, options={}, answer=None, error=None, chart=None)
    for name in ("date_target", "metric_col", "baseline_weeks", "algorithm", "method", "limit", "asset", "bank"):
        assert f'name="{name}"' in html
    assert 'value="coinIn"' in html and 'method="get"' in html


def test_a_small_change_on_a_large_total_zooms_the_axis_and_says_so():
    answer = decomposition(baseline=854_000.0, target=824_000.0, contributions=(-36_000.0, 6_000.0))

    chart = waterfall(answer)
    svg = str(waterfall_svg(answer))

    assert chart["zoomed"] and chart["ticks"][0]["value"] > 0
    steps = [bar for bar in chart["bars"] if bar["kind"] == "contribution"]
    # Zoomed, the largest step takes a good part of the plot instead of a hairline beside the totals.
    assert steps[0]["height"] > 0.2 * (chart["plot_bottom"] - chart["plot_top"])
    assert "the axis does not start at 0" in svg
    totals = [bar for bar in chart["bars"] if bar["kind"] in ("baseline", "target")]
    assert all(bar["y"] + bar["height"] == pytest.approx(chart["plot_bottom"]) for bar in totals)


def test_a_change_of_the_totals_own_size_keeps_the_axis_at_zero():
    chart = waterfall(decomposition(baseline=400.0, target=100.0, contributions=(-300.0,)))

    assert not chart["zoomed"] and chart["ticks"][0]["value"] == 0

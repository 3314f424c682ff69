"""The attribution algorithms reproduce hand-computed explanations, and their parts add up to the change."""

import json
import math
from datetime import date

import pytest

from warehouse.domains.attribution.algorithms import (
    ADDITIVE_METRICS,
    METRICS,
    AttributionError,
    derive,
    explain_dimension,
    explain_dimensions_adtributor,
    explain_metrics,
    mean_meters,
)

REL = 1e-9


def meters(coin_carded, coin_uncarded, games_carded, games_uncarded, **others):
    """Return a day's meters, the ones not under test at zero."""
    day = {
        "coinInCarded": coin_carded,
        "coinInUncarded": coin_uncarded,
        "handlePullsCarded": games_carded,
        "handlePullsUncarded": games_uncarded,
        "theoWin": 0,
        "actualWin": 0,
        "timeOnDevice": 0,
        "sessionsCarded": 0,
    }
    day.update(others)
    return day


def by_metric(rows):
    return {row["metric"]: row for row in rows}


def assert_close(actual, expected):
    assert actual == pytest.approx(expected, rel=REL, abs=1e-12)


# Baseline: carded 300 over 120 games (bet 2.5), uncarded 100 over 80 games (bet 1.25): coinIn 400.
# Target:   carded 330 over 110 games (bet 3.0), uncarded  90 over 60 games (bet 1.5):  coinIn 420.
BASELINE = meters(300, 100, 120, 80)
TARGET = meters(330, 90, 110, 60)


def test_metric_lists():
    assert len(METRICS) == 13
    assert len(ADDITIVE_METRICS) == 10
    assert "coinIn" in ADDITIVE_METRICS and "averageBet" not in ADDITIVE_METRICS


def test_derive_takes_totals_and_ratios_from_the_split():
    derived = derive(BASELINE)
    assert derived["coinIn"] == 400.0  # 300 + 100
    assert derived["handlePulls"] == 200.0  # 120 + 80
    assert derived["averageBet"] == 2.0  # 400 / 200
    assert derived["averageBetCarded"] == 2.5  # 300 / 120
    assert derived["averageBetUncarded"] == 1.25  # 100 / 80
    assert set(derived) == set(METRICS)
    assert all(isinstance(value, float) for value in derived.values())


def test_derive_uses_given_totals_when_there_is_no_split():
    derived = derive({"coinIn": 50, "handlePulls": 20})
    assert derived == {"coinIn": 50.0, "handlePulls": 20.0, "averageBet": 2.5}  # 50 / 20; carded bets unknown


def test_derive_gives_none_for_a_ratio_over_zero_games():
    derived = derive(meters(300, 0, 120, 0))
    assert derived["averageBetUncarded"] is None
    assert derived["averageBet"] == 2.5  # 300 / 120


def test_mean_meters_takes_ratios_from_means_not_means_of_ratios():
    week_one = meters(100, 50, 10, 25)  # carded bet 10
    week_two = meters(300, 150, 100, 75)  # carded bet 3
    baseline = mean_meters([week_one, week_two])
    # carded: (100 + 300) / 2 = 200 over (10 + 100) / 2 = 55 games; uncarded: 100 over 50
    assert baseline["coinInCarded"] == 200.0 and baseline["handlePullsCarded"] == 55.0
    assert_close(derive(baseline)["averageBetCarded"], 3.6363636363636362)  # 200 / 55, not (10 + 3) / 2 = 6.5

    # Target: carded 220 over 55 games (bet 4), uncarded unchanged: coinIn 320 against 300.
    result = explain_metrics(meters(220, 100, 55, 50), baseline)
    assert result["baseline_value"] == 300.0 and result["change"] == 20.0
    nodes = by_metric(result["nodes"])
    assert_close(nodes["averageBetCarded"]["baseline_value"], 3.6363636363636362)
    assert nodes["handlePullsCarded"]["contribution"] == 0.0  # no change in games
    assert_close(nodes["averageBetCarded"]["contribution"], 20.0)  # (4 - 40/11) * (55 + 55) / 2 = 4/11 * 55


def test_decomposition_splits_coin_in_by_hand():
    result = explain_metrics(TARGET, BASELINE, metric_col="coinIn", limit=None)
    assert result["target_value"] == 420.0 and result["baseline_value"] == 400.0
    assert result["change"] == 20.0
    assert result["relative_change"] == 0.05  # 20 / 400
    nodes = by_metric(result["nodes"])
    assert [node["metric"] for node in result["nodes"]] == [
        "coinInCarded",
        "handlePullsCarded",
        "averageBetCarded",
        "coinInUncarded",
        "handlePullsUncarded",
        "averageBetUncarded",
    ]
    assert nodes["coinInCarded"] == {
        "metric": "coinInCarded",
        "level": 1,
        "parent": "coinIn",
        "target_value": 330.0,
        "baseline_value": 300.0,
        "contribution": 30.0,
        "share": 1.5,  # 30 / 20
    }
    assert nodes["coinInUncarded"]["contribution"] == -10.0  # 90 - 100
    assert nodes["averageBetCarded"]["level"] == 2 and nodes["averageBetCarded"]["parent"] == "coinInCarded"
    # games carded: (110 - 120) * (2.5 + 3.0) / 2 = -27.5; bet carded: (3.0 - 2.5) * (120 + 110) / 2 = 57.5
    # games uncarded: (60 - 80) * (1.25 + 1.5) / 2 = -27.5; bet uncarded: (1.5 - 1.25) * (80 + 60) / 2 = 17.5
    expected = {
        "handlePullsCarded": (-27.5, -1.375),
        "averageBetCarded": (57.5, 2.875),
        "handlePullsUncarded": (-27.5, -1.375),
        "averageBetUncarded": (17.5, 0.875),
    }
    for metric, (contribution, share) in expected.items():
        assert_close(nodes[metric]["contribution"], contribution)
        assert_close(nodes[metric]["share"], share)
    # Rose, so bestranks puts the largest contribution first; ties keep the tree's order.
    assert [rank["metric"] for rank in result["ranks"]] == [
        "averageBetCarded",
        "averageBetUncarded",
        "handlePullsCarded",
        "handlePullsUncarded",
    ]
    assert_close(result["explained_share"], 1.0)  # 2.875 + 0.875 - 1.375 - 1.375


def test_decomposition_limit_and_worstranks():
    best = explain_metrics(TARGET, BASELINE, limit=2)
    assert [rank["metric"] for rank in best["ranks"]] == ["averageBetCarded", "averageBetUncarded"]
    assert_close(best["explained_share"], 3.75)  # 2.875 + 0.875
    worst = explain_metrics(TARGET, BASELINE, method="worstranks", limit=3)
    assert [rank["metric"] for rank in worst["ranks"]] == [
        "handlePullsCarded",
        "handlePullsUncarded",
        "averageBetUncarded",
    ]
    assert_close(worst["explained_share"], -1.875)  # -1.375 - 1.375 + 0.875
    assert len(worst["nodes"]) == 6  # the limit cuts ranks, never the tree


def test_decomposition_of_a_fall_ranks_the_most_negative_first():
    result = explain_metrics(BASELINE, TARGET)  # 420 -> 400: every contribution changes sign
    assert result["change"] == -20.0
    assert_close(result["relative_change"], -0.047619047619047616)  # -20 / 420
    ranks = result["ranks"]
    assert [rank["metric"] for rank in ranks] == [
        "averageBetCarded",
        "averageBetUncarded",
        "handlePullsCarded",
        "handlePullsUncarded",
    ]
    assert_close(ranks[0]["contribution"], -57.5)
    assert_close(ranks[0]["share"], 2.875)  # -57.5 / -20
    worst = explain_metrics(BASELINE, TARGET, method="worstranks")
    assert [rank["metric"] for rank in worst["ranks"]][:2] == ["handlePullsCarded", "handlePullsUncarded"]


AWKWARD_PAIRS = [
    (meters(1234.567, 89.0123, 4567, 33), meters(987.6543, 210.987, 3911, 71)),
    (meters(0.1 + 0.2, 1e-7, 3, 1), meters(0.7, 0.3, 7, 3)),
    (meters(98765.4321, 0, 31415, 0), meters(91234.5678, 13.37, 29999, 4)),  # uncarded games appear
    (meters(0, 0, 0, 0), meters(17.31, 2.71, 5, 1)),  # a new asset
    # A cent's change on a third of a million: float average bets would be off by more than 1e-9 of it.
    (meters(1e6 / 3, 2e5 / 7, 123457, 98765), meters(1e6 / 3 + 0.01, 2e5 / 7, 123458, 98765)),
]


@pytest.mark.parametrize(("target", "baseline"), AWKWARD_PAIRS)
def test_decomposition_adds_up_at_every_level(target, baseline):
    result = explain_metrics(target, baseline, limit=None)
    change = result["change"]
    nodes = result["nodes"]

    def assert_adds_up(parts, whole):
        assert math.isclose(math.fsum(parts), whole, rel_tol=REL)

    for level in (1, 2):
        assert_adds_up([node["contribution"] for node in nodes if node["level"] == level], change)
    for parent in ("coinInCarded", "coinInUncarded"):
        whole = by_metric(nodes)[parent]["contribution"]
        assert_adds_up([node["contribution"] for node in nodes if node["parent"] == parent], whole)
    assert_adds_up([rank["contribution"] for rank in result["ranks"]], change)


def test_decomposition_of_an_asset_dark_on_the_target_day():
    result = explain_metrics(meters(0, 0, 0, 0), BASELINE)
    assert result["change"] == -400.0 and result["relative_change"] == -1.0
    nodes = by_metric(result["nodes"])
    # The carded bet is undefined on the target day, so it takes the baseline's 2.5 and does not move:
    # games carded: (0 - 120) * (2.5 + 2.5) / 2 = -300; games uncarded: (0 - 80) * (1.25 + 1.25) / 2 = -100.
    assert nodes["averageBetCarded"]["target_value"] is None
    assert nodes["averageBetCarded"]["contribution"] == 0.0
    assert nodes["averageBetUncarded"]["contribution"] == 0.0
    assert_close(nodes["handlePullsCarded"]["contribution"], -300.0)
    assert_close(nodes["handlePullsUncarded"]["contribution"], -100.0)
    assert [rank["metric"] for rank in result["ranks"]][:2] == ["handlePullsCarded", "handlePullsUncarded"]
    assert_close(result["ranks"][0]["share"], 0.75)  # -300 / -400


def test_decomposition_of_a_new_asset_without_baseline_games():
    result = explain_metrics(BASELINE, meters(0, 0, 0, 0))
    assert result["change"] == 400.0
    assert result["relative_change"] is None  # nothing to be relative to
    nodes = by_metric(result["nodes"])
    assert nodes["averageBetUncarded"]["baseline_value"] is None
    assert_close(nodes["handlePullsCarded"]["contribution"], 300.0)  # 120 * 2.5
    assert_close(nodes["handlePullsUncarded"]["contribution"], 100.0)  # 80 * 1.25


def test_decomposition_without_any_games_in_either_period():
    result = explain_metrics(meters(0, 0, 0, 0), meters(0, 0, 0, 0))
    assert result["change"] == 0.0 and result["relative_change"] is None
    assert all(node["contribution"] == 0.0 and node["share"] is None for node in result["nodes"])
    assert result["explained_share"] is None


def test_decomposition_of_no_change_has_no_shares():
    result = explain_metrics(TARGET, dict(TARGET))
    assert result["change"] == 0.0 and result["relative_change"] == 0.0
    assert result["explained_share"] is None
    assert all(rank["share"] is None for rank in result["ranks"])


def test_decomposition_of_handle_pulls_and_of_coin_in_carded():
    games = explain_metrics(TARGET, BASELINE, metric_col="handlePulls")
    # 170 - 200 = -30: carded 110 - 120 = -10, uncarded 60 - 80 = -20; fell, so the larger fall first
    assert games["change"] == -30.0
    assert [(rank["metric"], rank["contribution"]) for rank in games["ranks"]] == [
        ("handlePullsUncarded", -20.0),
        ("handlePullsCarded", -10.0),
    ]
    assert all(node["level"] == 1 and node["parent"] == "handlePulls" for node in games["nodes"])
    carded = explain_metrics(TARGET, BASELINE, metric_col="coinInCarded")
    assert [(node["metric"], node["level"]) for node in carded["nodes"]] == [
        ("handlePullsCarded", 1),
        ("averageBetCarded", 1),
    ]
    assert_close(carded["explained_share"], 1.0)  # (57.5 - 27.5) / 30


def test_results_are_plain_json():
    for result in (
        explain_metrics(TARGET, BASELINE),
        explain_metrics(TARGET, BASELINE, algorithm="normdiff", daily={"2024-01-29": TARGET}, target_date="2024-01-29"),
        explain_dimension({"a": (TARGET, BASELINE)}, metric_col="averageBet"),
        explain_dimensions_adtributor({"asset": {"a": (TARGET, BASELINE), "b": (None, BASELINE)}}),
    ):
        assert json.loads(json.dumps(result)) == result


def test_contribution_of_a_dark_bank_and_a_new_bank():
    elements = {
        "B1": (meters(0, 0, 0, 0), meters(300, 100, 120, 80)),  # dark on the target day: 400 -> 0
        "B2": (meters(100, 50, 40, 20), meters(60, 40, 30, 10)),  # 100 -> 150
        "B3": (meters(50, 0, 10, 0), None),  # new: 0 -> 50
    }
    result = explain_dimension(elements)
    # group: 500 -> 200, change -300
    assert (result["target_value"], result["baseline_value"], result["change"]) == (200.0, 500.0, -300.0)
    assert result["relative_change"] == -0.6
    ranks = result["ranks"]
    assert [rank["value"] for rank in ranks] == ["B1", "B2", "B3"]  # fell: the largest fall first
    assert ranks[0] == {
        "value": "B1",
        "target_value": 0.0,
        "baseline_value": 400.0,
        "contribution": -400.0,
        "share": pytest.approx(4 / 3, rel=REL),  # -400 / -300
    }
    assert ranks[2]["baseline_value"] == 0.0 and ranks[2]["contribution"] == 50.0
    assert_close(ranks[2]["share"], -1 / 6)  # 50 / -300
    assert_close(result["explained_share"], 1.0)
    top = explain_dimension(elements, limit=1)
    assert_close(top["explained_share"], 4 / 3)
    worst = explain_dimension(elements, method="worstranks", limit=2)
    assert [rank["value"] for rank in worst["ranks"]] == ["B2", "B3"]


def test_contribution_of_a_ratio_splits_into_rate_and_mix():
    elements = {
        # A: 100 over 50 games (bet 2) -> 150 over 50 games (bet 3)
        "A": (meters(120, 30, 25, 25), meters(80, 20, 30, 20)),
        # B: 100 over 100 games (bet 1) -> 50 over 50 games (bet 1)
        "B": (meters(30, 20, 20, 30), meters(60, 40, 40, 60)),
    }
    result = explain_dimension(elements, metric_col="averageBet")
    # group: 200 / 150 = 4/3 -> 200 / 100 = 2, change 2/3
    assert_close(result["baseline_value"], 4 / 3)
    assert result["target_value"] == 2.0
    assert_close(result["change"], 2 / 3)
    ranks = {rank["value"]: rank for rank in result["ranks"]}
    # A: weights 50/150 = 1/3 -> 50/100 = 1/2; rate 5/12 * (3 - 2) = 5/12; mix (2 + 3)/2 * (1/2 - 1/3) = 5/12
    assert_close(ranks["A"]["rate_effect"], 5 / 12)
    assert_close(ranks["A"]["mix_effect"], 5 / 12)
    assert_close(ranks["A"]["contribution"], 5 / 6)
    assert_close(ranks["A"]["share"], 1.25)  # 5/6 / 2/3
    assert (ranks["A"]["baseline_value"], ranks["A"]["target_value"]) == (2.0, 3.0)
    # B: weights 2/3 -> 1/2; rate 7/12 * (1 - 1) = 0; mix (1 + 1)/2 * (1/2 - 2/3) = -1/6
    assert ranks["B"]["rate_effect"] == 0.0
    assert_close(ranks["B"]["mix_effect"], -1 / 6)
    assert_close(ranks["B"]["share"], -0.25)
    assert_close(ranks["A"]["contribution"] + ranks["B"]["contribution"], result["change"])  # 5/6 - 1/6 = 2/3
    assert [rank["value"] for rank in result["ranks"]] == ["A", "B"]
    assert_close(result["explained_share"], 1.0)


def test_contribution_of_a_ratio_with_a_dark_bank():
    elements = {
        "A": (meters(0, 0, 0, 0), meters(100, 0, 50, 0)),  # bet 2 -> dark
        "B": (meters(150, 0, 100, 0), meters(100, 0, 100, 0)),  # bet 1 -> 1.5
    }
    result = explain_dimension(elements, metric_col="averageBetCarded")
    assert_close(result["change"], 1 / 6)  # 200/150 = 4/3 -> 150/100 = 1.5
    ranks = {rank["value"]: rank for rank in result["ranks"]}
    # A: the dark day's bet takes the baseline's 2, so no rate effect; mix 2 * (0 - 1/3) = -2/3
    assert ranks["A"]["target_value"] is None
    assert ranks["A"]["rate_effect"] == 0.0
    assert_close(ranks["A"]["contribution"], -2 / 3)
    # B: rate (2/3 + 1)/2 * 0.5 = 5/12; mix (1 + 1.5)/2 * (1 - 2/3) = 5/12
    assert_close(ranks["B"]["contribution"], 5 / 6)
    assert_close(ranks["A"]["contribution"] + ranks["B"]["contribution"], 1 / 6)
    assert [rank["value"] for rank in result["ranks"]] == ["B", "A"]


@pytest.mark.parametrize(
    "elements",
    [
        pytest.param(
            {
                "a": (meters(1.1, 2.2, 3, 5), meters(0.37, 0.0, 1, 0)),
                "b": (meters(0.0, 0.0, 0, 0), meters(12.34, 5.67, 7, 11)),
                "c": (meters(77.7, 0.01, 31, 1), None),
                "d": (meters(1 / 3, 1 / 7, 1, 1), meters(2 / 3, 1 / 9, 2, 1)),
            },
            id="awkward",
        ),
    ],
)
@pytest.mark.parametrize("metric_col", ["averageBet", "averageBetCarded", "averageBetUncarded"])
def test_contribution_of_a_ratio_adds_up_to_the_group_change(elements, metric_col):
    result = explain_dimension(elements, metric_col=metric_col)
    contributions = [rank["contribution"] for rank in result["ranks"]]
    assert math.isclose(math.fsum(contributions), result["change"], rel_tol=REL)
    for rank in result["ranks"]:
        assert_close(rank["rate_effect"] + rank["mix_effect"], rank["contribution"])


def test_contribution_of_a_group_without_games_has_nothing_to_split():
    elements = {"A": (meters(10, 0, 5, 0), meters(0, 0, 0, 0)), "B": (None, None)}
    result = explain_dimension(elements, metric_col="averageBet")
    assert result["baseline_value"] is None and result["change"] is None
    assert all(rank["contribution"] is None and rank["share"] is None for rank in result["ranks"])
    assert result["explained_share"] is None


def test_contribution_of_all_zero_elements():
    result = explain_dimension({"A": (meters(0, 0, 0, 0), meters(0, 0, 0, 0)), "B": ({}, {})})
    assert result["change"] == 0.0 and result["relative_change"] is None
    assert [rank["share"] for rank in result["ranks"]] == [None, None]
    assert result["explained_share"] is None
    assert explain_dimension({})["ranks"] == []


# Group coinIn 1000 -> 1200 (change 200), cut four ways.
ADTRIBUTOR_DIMENSIONS = {
    # EP: Z1 300/200 = 1.5, Z2 -100/200 = -0.5
    # surprise Z1: p = 0.6, q = 0.75: 1/2 [0.6 ln(1.2/1.35) + 0.75 ln(1.5/1.35)] = 1/2 [-0.07066982 + 0.07902039]
    # surprise Z2: p = 0.4, q = 0.25: 1/2 [0.4 ln(0.8/0.65) + 0.25 ln(0.5/0.65)] = 1/2 [0.08305575 - 0.06559107]
    # Z2 is the more surprising but its EP is below 0.1: the set is {Z1}.
    "zone": {
        "Z1": (meters(900, 0, 90, 0), meters(600, 0, 60, 0)),
        "Z2": (meters(300, 0, 30, 0), meters(400, 0, 40, 0)),
    },
    # EP: B1 0, B2 200/200 = 1, B3 0
    # surprise B2: p = 0.3, q = 5/12, p + q = 43/60:
    #   1/2 [0.3 ln(0.6/(43/60)) + 5/12 ln((5/6)/(43/60))] = 1/2 [-0.05330435 + 0.06284287]
    "bank": {
        "B1": (meters(500, 0, 50, 0), meters(500, 0, 50, 0)),
        "B2": (meters(500, 0, 50, 0), meters(300, 0, 30, 0)),
        "B3": (meters(200, 0, 20, 0), meters(200, 0, 20, 0)),
    },
    # G1 and G2 each have EP 0.5 and surprise 0 (p = q = 0.5): it takes both to pass 0.67.
    "gameType": {
        "G1": (meters(600, 0, 60, 0), meters(500, 0, 50, 0)),
        "G2": (meters(600, 0, 60, 0), meters(500, 0, 50, 0)),
    },
    # EP: D1 120/200 = 0.6, D2..D5 20/200 = 0.1 each, not above 0.1: 0.6 never reaches 0.67, so no set.
    "denomination": {
        "D1": (meters(320, 0, 32, 0), meters(200, 0, 20, 0)),
        **{name: (meters(220, 0, 22, 0), meters(200, 0, 20, 0)) for name in ("D2", "D3", "D4", "D5")},
    },
}
SURPRISE_Z1 = 0.004175282674769756
SURPRISE_B2 = 0.0047692587757537305


def test_adtributor_by_hand():
    result = explain_dimensions_adtributor(ADTRIBUTOR_DIMENSIONS, limit=None)
    assert (result["target_value"], result["baseline_value"], result["change"]) == (1200.0, 1000.0, 200.0)
    assert result["relative_change"] == 0.2
    # Dimensions by the surprise of their sets: bank 0.00477 > zone 0.00418 > gameType 0; denomination has none.
    assert [(dimension["dimension"], dimension["explained_share"]) for dimension in result["dimensions"]] == [
        ("bank", 1.0),
        ("zone", 1.5),
        ("gameType", 1.0),
        ("denomination", None),
    ]
    assert_close(result["dimensions"][0]["surprise"], SURPRISE_B2)
    assert result["dimensions"][3]["surprise"] is None
    assert [(rank["dimension"], rank["value"]) for rank in result["ranks"]] == [
        ("bank", "B2"),
        ("zone", "Z1"),
        ("gameType", "G1"),
        ("gameType", "G2"),
    ]
    bank, zone = result["ranks"][0], result["ranks"][1]
    assert bank["ep"] == 1.0 and bank["contribution"] == 200.0 and bank["share"] == 1.0
    assert (bank["target_value"], bank["baseline_value"]) == (500.0, 300.0)
    assert_close(bank["surprise"], SURPRISE_B2)
    assert zone["ep"] == 1.5 and zone["contribution"] == 300.0
    assert_close(zone["surprise"], SURPRISE_Z1)
    assert result["ranks"][2]["surprise"] == 0.0 and result["ranks"][2]["ep"] == 0.5
    assert result["explained_share"] == 1.0  # the bank set's EP


def test_adtributor_on_only_the_values_that_can_join_a_set_and_the_group_totals_answers_the_same():
    everything = explain_dimensions_adtributor(ADTRIBUTOR_DIMENSIONS, limit=None)

    def explanatory_power(pair) -> float:
        coin_in = [day["coinInCarded"] + day["coinInUncarded"] for day in pair]
        return (coin_in[0] - coin_in[1]) / everything["change"]

    candidates = {
        name: {value: pair for value, pair in values.items() if explanatory_power(pair) > 0.1}
        for name, values in ADTRIBUTOR_DIMENSIONS.items()
    }
    assert sum(map(len, candidates.values())) < sum(map(len, ADTRIBUTOR_DIMENSIONS.values()))

    selected = explain_dimensions_adtributor(candidates, limit=None, totals=(1200.0, 1000.0))

    assert selected == everything


def test_adtributor_limit_and_worstranks():
    best = explain_dimensions_adtributor(ADTRIBUTOR_DIMENSIONS, limit=2)
    assert [rank["dimension"] for rank in best["ranks"]] == ["bank", "zone"]
    assert len(explain_dimensions_adtributor(ADTRIBUTOR_DIMENSIONS)["ranks"]) == 4  # 3 dimensions by default
    worst = explain_dimensions_adtributor(ADTRIBUTOR_DIMENSIONS, method="worstranks", limit=2)
    assert [(rank["dimension"], rank["value"]) for rank in worst["ranks"]] == [
        ("gameType", "G1"),
        ("gameType", "G2"),
        ("zone", "Z1"),
    ]
    assert worst["explained_share"] == 1.0  # 0.5 + 0.5, the first listed set


def test_adtributor_thresholds_decide_the_sets():
    # With elements needing EP above 0.05 the denomination set becomes {D1, D2} (order of surprise): 0.6 + 0.1.
    result = explain_dimensions_adtributor(ADTRIBUTOR_DIMENSIONS, min_element_ep=0.05, limit=None)
    denomination = [rank["value"] for rank in result["ranks"] if rank["dimension"] == "denomination"]
    assert denomination == ["D1", "D2"]
    # Nothing reaches an EP total of 2: no dimension has a set.
    none = explain_dimensions_adtributor(ADTRIBUTOR_DIMENSIONS, min_total_ep=2.0)
    assert none["ranks"] == [] and none["explained_share"] is None


def test_adtributor_without_change_explains_nothing():
    unchanged = {"zone": {"Z1": (meters(5, 0, 1, 0), meters(5, 0, 1, 0)), "Z2": (meters(0, 0, 0, 0), None)}}
    result = explain_dimensions_adtributor(unchanged)
    assert result["change"] == 0.0
    assert result["ranks"] == [] and result["explained_share"] is None
    empty = explain_dimensions_adtributor({})
    assert empty["ranks"] == [] and empty["target_value"] == 0.0


def test_adtributor_from_a_zero_baseline():
    result = explain_dimensions_adtributor(
        {"asset": {"a": (meters(30, 0, 3, 0), None), "b": (meters(10, 0, 1, 0), {})}}
    )
    # F = 0, so p counts 0: surprise a = 1/2 * 0.75 ln(2) (q = 0.75), b = 1/2 * 0.25 ln(2); EP 0.75 then 0.25
    assert result["relative_change"] is None
    assert [rank["value"] for rank in result["ranks"]] == ["a"]
    assert_close(result["ranks"][0]["surprise"], 0.2599301927099794)  # 0.375 * 0.6931471805599453


# A window of 8 days ending on Monday 2024-01-29, with data on four of them; the baseline is 2024-01-22.
#             carded coin, games  uncarded coin, games   coinIn  games  bet    carded bet
# 01-22:      100, 50              100, 50                200     100    2      2
# 01-24:      100, 50              100, 50                200     100    2      2
# 01-27:      100, 50              100, 50                200     100    2      2
# 01-29:      200, 40              100, 50                300      90    10/3   5
# 01-21 lies outside the window; were it counted, its coin and actualWin would change every mean.
DAILY = {
    date(2024, 1, 21): meters(9999, 100, 50, 50, actualWin=500, theoWin=10, timeOnDevice=100, sessionsCarded=2),
    date(2024, 1, 22): meters(100, 100, 50, 50, theoWin=10, timeOnDevice=100, sessionsCarded=2),
    date(2024, 1, 24): meters(100, 100, 50, 50, theoWin=10, timeOnDevice=100, sessionsCarded=2),
    date(2024, 1, 27): meters(100, 100, 50, 50, theoWin=10, timeOnDevice=100, sessionsCarded=2),
    date(2024, 1, 29): meters(200, 100, 40, 50, theoWin=10, timeOnDevice=100, sessionsCarded=2),
}
NORMDIFF = {
    "daily": DAILY,
    "target_date": date(2024, 1, 29),
    "window_days": 8,
    "algorithm": "normdiff",
    "limit": None,
}
# Window means: carded coin 500/4 = 125, carded games 190/4 = 47.5, games 390/4 = 97.5, coinIn 1100/4 = 275,
# bet (2 + 2 + 2 + 10/3)/4 = 7/3, carded bet (2 + 2 + 2 + 5)/4 = 2.75, actualWin 0.
SCORES = {
    "averageBetCarded": 1.0909090909090908,  # (5 - 2) / 2.75
    "coinInCarded": 0.8,  # (200 - 100) / 125
    "averageBet": 0.5714285714285714,  # (10/3 - 2) / (7/3) = 4/7
    "coinIn": 0.36363636363636365,  # (300 - 200) / 275
    "handlePulls": -0.10256410256410256,  # (90 - 100) / 97.5
    "handlePullsCarded": -0.21052631578947367,  # (40 - 50) / 47.5
}
UNMOVED = ["coinInUncarded", "handlePullsUncarded", "theoWin", "timeOnDevice", "sessionsCarded", "averageBetUncarded"]


def test_normdiff_by_hand():
    result = explain_metrics(DAILY[date(2024, 1, 29)], DAILY[date(2024, 1, 22)], **NORMDIFF)
    assert (result["target_value"], result["baseline_value"], result["change"]) == (300.0, 200.0, 100.0)
    assert result["explained_share"] is None and "nodes" not in result
    ranks = result["ranks"]
    # coinIn rose: bestranks from the highest score down, unmoved metrics in METRICS order, the zero mean last.
    assert [rank["metric"] for rank in ranks] == [
        "averageBetCarded",
        "coinInCarded",
        "averageBet",
        *UNMOVED,
        "handlePulls",
        "handlePullsCarded",
        "actualWin",
    ]
    for rank in ranks[:-1]:
        assert_close(rank["score"], SCORES.get(rank["metric"], 0.0))
    assert ranks[-1] == {"metric": "actualWin", "target_value": 0.0, "baseline_value": 0.0, "score": None}
    assert by_metric(ranks)["averageBetCarded"]["target_value"] == 5.0


def test_normdiff_worstranks_still_lists_the_zero_mean_last():
    result = explain_metrics(DAILY[date(2024, 1, 29)], DAILY[date(2024, 1, 22)], method="worstranks", **NORMDIFF)
    metrics = [rank["metric"] for rank in result["ranks"]]
    assert metrics[:2] == ["handlePullsCarded", "handlePulls"]
    assert metrics[-2:] == ["averageBetCarded", "actualWin"]


def test_normdiff_ranks_from_low_to_high_when_the_metric_fell():
    result = explain_metrics(None, None, metric_col="handlePulls", baseline_dates=[date(2024, 1, 22)], **NORMDIFF)
    assert result["change"] == -10.0  # 90 - 100
    assert [rank["metric"] for rank in result["ranks"]] == [
        "handlePullsCarded",
        *UNMOVED,
        "coinIn",
        "averageBet",
        "coinInCarded",
        "averageBetCarded",
        "actualWin",
    ]
    assert_close(result["ranks"][0]["score"], SCORES["handlePullsCarded"])
    limited = explain_metrics(
        None, None, metric_col="handlePulls", baseline_dates=["2024-01-22"], **NORMDIFF | {"limit": 3}
    )
    assert [rank["metric"] for rank in limited["ranks"]] == [
        "handlePullsCarded",
        "coinInUncarded",
        "handlePullsUncarded",
    ]


def test_normdiff_of_a_ratio_metric_with_string_dates():
    daily = {day.isoformat(): day_meters for day, day_meters in DAILY.items()}
    result = explain_metrics(
        DAILY[date(2024, 1, 29)],
        DAILY[date(2024, 1, 22)],
        **NORMDIFF | {"daily": daily, "target_date": "2024-01-29", "limit": 2},
        metric_col="averageBetCarded",
    )
    assert (result["target_value"], result["baseline_value"]) == (5.0, 2.0)
    assert [rank["metric"] for rank in result["ranks"]] == ["coinInCarded", "averageBet"]


def bad_request(call, **kwargs):
    with pytest.raises(AttributionError) as raised:
        call(**kwargs)
    return raised.value


@pytest.mark.parametrize(
    ("call", "kwargs", "code", "field"),
    [
        (explain_metrics, {"metric_col": "revenue"}, "unknown_metric", "metric_col"),
        (explain_metrics, {"metric_col": "theoWin"}, "no_identity_tree", "metric_col"),
        (explain_metrics, {"metric_col": "handlePullsCarded"}, "no_identity_tree", "metric_col"),
        (explain_metrics, {"algorithm": "adtributor"}, "unknown_algorithm", "algorithm"),
        (explain_metrics, {"method": "best"}, "unknown_method", "method"),
        (explain_metrics, {"limit": 0}, "invalid_limit", "limit"),
        (explain_metrics, {"limit": True}, "invalid_limit", "limit"),
        (explain_metrics, {"algorithm": "normdiff"}, "missing_daily", "data"),
        (
            explain_metrics,
            {"algorithm": "normdiff", "daily": {}, "window_days": 0},
            "invalid_window_days",
            "window_days",
        ),
        (explain_dimension, {"metric_col": "coin"}, "unknown_metric", "metric_col"),
        (explain_dimension, {"algorithm": "decomposition"}, "unknown_algorithm", "algorithm"),
        (explain_dimension, {"method": "top"}, "unknown_method", "method"),
        (explain_dimension, {"limit": -1}, "invalid_limit", "limit"),
        (explain_dimensions_adtributor, {"metric_col": "averageBet"}, "ratio_metric", "metric_col"),
        (explain_dimensions_adtributor, {"metric_col": "win"}, "unknown_metric", "metric_col"),
        (explain_dimensions_adtributor, {"method": "x"}, "unknown_method", "method"),
        (explain_dimensions_adtributor, {"limit": 1.5}, "invalid_limit", "limit"),
    ],
)
def test_bad_requests_name_their_field(call, kwargs, code, field):
    data = (TARGET, BASELINE) if call is explain_metrics else ({},)
    with pytest.raises(AttributionError) as raised:
        call(*data, **kwargs)
    assert (raised.value.code, raised.value.field) == (code, field)
    assert isinstance(raised.value, ValueError) and str(raised.value)


def test_days_missing_from_the_daily_series():
    error = bad_request(explain_metrics, target=None, baseline=BASELINE, daily=DAILY, target_date="2024-02-01")
    assert (error.code, error.field) == ("missing_daily", "data")
    error = bad_request(explain_metrics, target=TARGET, baseline=None, daily=DAILY, baseline_dates=["2023-12-25"])
    assert (error.code, error.field) == ("missing_daily", "data")


def test_averagebet_has_no_identity_tree_and_the_message_suggests_normdiff():
    error = bad_request(explain_metrics, target=TARGET, baseline=BASELINE, metric_col="averageBet")
    assert error.code == "no_identity_tree"
    assert "algorithm=normdiff" in error.message


def test_decomposition_needs_the_split_meters():
    error = bad_request(
        explain_metrics, target={"coinIn": 10, "handlePulls": 5}, baseline={"coinIn": 8, "handlePulls": 4}
    )
    assert (error.code, error.field) == ("missing_meters", "data")
    assert "normdiff" in error.message
    # normdiff works on what there is.
    result = explain_metrics(
        {"coinIn": 10, "handlePulls": 5},
        {"coinIn": 8, "handlePulls": 4},
        algorithm="normdiff",
        daily={"2024-01-29": {"coinIn": 10, "handlePulls": 5}, "2024-01-22": {"coinIn": 8, "handlePulls": 4}},
    )
    # window means: coinIn 9, handlePulls 4.5, averageBet 2; handlePulls (5 - 4)/4.5, averageBet (2 - 2)/2 = 0
    assert [(rank["metric"], rank["score"]) for rank in result["ranks"][:2]] == [
        ("handlePulls", pytest.approx(0.2222222222222222, rel=REL)),
        ("averageBet", 0.0),
    ]
    assert result["ranks"][2]["score"] is None  # carded meters unknown

"""The attribution endpoints over a published casino: answers that add up, three ways to ask, every error."""

import datetime as dt
import json
import math

import psycopg
import pytest

from tests.conftest import API_WAREHOUSE_TEST_URL

ENDPOINTS = ["/singlerankmetrics", "/grouprankmetrics", "/grouprankdimensions"]


@pytest.fixture(scope="module")
def sidecar(casino) -> dict:
    return json.loads(casino.causes_path.read_text())


@pytest.fixture(scope="module")
def cause(sidecar) -> dict:
    """A zone whose unrated average bet dropped, with 12 weeks of data before: every kind of answer is clear."""
    first_day = dt.date.fromisoformat(sidecar["generator"]["start"])
    return next(
        cause
        for cause in sidecar["causes"]
        if cause["kind"] == "zone_uncarded_bet_drop"
        and dt.date.fromisoformat(cause["gaming_date"]) >= first_day + dt.timedelta(weeks=12)
    )


@pytest.fixture
def warehouse(published):
    with psycopg.connect(API_WAREHOUSE_TEST_URL, autocommit=True) as connection:
        yield connection


def sums(warehouse, day: str, where: str = "true", **parameters) -> dict:
    """The meters of the assets matching `where` on `day`, summed, straight from production."""
    row = warehouse.execute(
        f"""
        select sum(coin_in_carded), sum(coin_in_uncarded), sum(handle_pulls_carded), sum(handle_pulls_uncarded)
        from model_production.asset_metrics_daily
        where gaming_date = %(day)s and {where}
        """,
        {"day": day, **parameters},
    ).fetchone()
    names = ["coinInCarded", "coinInUncarded", "handlePullsCarded", "handlePullsUncarded"]
    return dict(zip(names, map(float, row), strict=True))


def close(left: float, right: float) -> bool:
    return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-6)


def some_asset(warehouse, day: str) -> str:
    query = "select asset_number from model_production.asset_metrics_daily where gaming_date = %s and coin_in > 0"
    return warehouse.execute(query + " order by asset_number limit 1", (day,)).fetchone()[0]


def test_a_group_answer_is_its_assets_sums_and_every_level_adds_up_to_the_change(client, warehouse, cause):
    day = cause["gaming_date"]
    week_before = (dt.date.fromisoformat(day) - dt.timedelta(days=7)).isoformat()

    answer = client.get("/grouprankmetrics", query_string={"date_target": day, "zone": cause["value"]}).json

    target, baseline = (
        sums(warehouse, day, "zone = %(zone)s", zone=cause["value"]),
        sums(warehouse, week_before, "zone = %(zone)s", zone=cause["value"]),
    )
    assert answer["group"] == {"zone": cause["value"]}
    assert answer["baseline_dates"] == [week_before]
    assert close(answer["target_value"], target["coinInCarded"] + target["coinInUncarded"])
    assert close(answer["baseline_value"], baseline["coinInCarded"] + baseline["coinInUncarded"])
    assert close(answer["change"], answer["target_value"] - answer["baseline_value"])
    assert close(answer["relative_change"], answer["change"] / answer["baseline_value"])
    for level in (1, 2):
        level_sum = math.fsum(node["contribution"] for node in answer["nodes"] if node["level"] == level)
        assert close(level_sum, answer["change"]), level
    assert close(answer["explained_share"], math.fsum(rank["share"] for rank in answer["ranks"]))
    assert answer["ranks"][0]["metric"] == "averageBetUncarded"


def test_get_post_and_a_get_with_a_json_body_give_one_answer(client, cause):
    question = {"date_target": cause["gaming_date"], "dimension": "zone", "baseline_weeks": 3}

    by_query = client.get("/grouprankdimensions", query_string=question)
    by_post = client.post("/grouprankdimensions", json=question)
    by_get_body = client.open("/grouprankdimensions", method="GET", json=question)

    assert by_query.status_code == by_post.status_code == by_get_body.status_code == 200
    assert by_query.json == by_post.json == by_get_body.json
    assert len(by_query.json["baseline_dates"]) == 3


def test_a_baseline_of_several_weeks_is_the_mean_of_those_weekdays(client, warehouse, cause):
    day = dt.date.fromisoformat(cause["gaming_date"])
    weeks = [(day - dt.timedelta(weeks=week)).isoformat() for week in range(1, 5)]

    answer = client.get("/grouprankmetrics", query_string={"date_target": day.isoformat(), "baseline_weeks": 4}).json

    assert answer["baseline_dates"] == weeks
    meters = [sums(warehouse, week) for week in weeks]
    coin_in = [day_meters["coinInCarded"] + day_meters["coinInUncarded"] for day_meters in meters]
    assert close(answer["baseline_value"], math.fsum(coin_in) / 4)
    # Ratios come from the mean meters, never as a mean of the days' ratios.
    games = [day_meters["handlePullsCarded"] + day_meters["handlePullsUncarded"] for day_meters in meters]
    question = {"date_target": day.isoformat(), "baseline_weeks": 4, "metric_col": "averageBet", "dimension": "zone"}
    bet = client.get("/grouprankdimensions", query_string=question).json
    assert close(bet["baseline_value"], math.fsum(coin_in) / math.fsum(games))


def test_contributions_of_a_dimension_add_up_and_limit_and_method_order_them(client, cause):
    question = {"date_target": cause["gaming_date"], "dimension": "bank"}

    full = client.get("/grouprankdimensions", query_string={**question, "limit": 1000}).json
    top = client.get("/grouprankdimensions", query_string={**question, "limit": 2}).json
    worst = client.get("/grouprankdimensions", query_string={**question, "method": "worstranks", "limit": 1000}).json

    assert full["dimension"] == "bank" and full["algorithm"] == "contribution"
    assert close(math.fsum(rank["contribution"] for rank in full["ranks"]), full["change"])
    assert close(full["explained_share"], 1.0)
    assert top["ranks"] == full["ranks"][:2]
    assert close(top["explained_share"], top["ranks"][0]["share"] + top["ranks"][1]["share"])
    assert [rank["value"] for rank in worst["ranks"]] == [rank["value"] for rank in reversed(full["ranks"])]
    # The change fell, so the best ranks are the most negative contributions.
    assert full["change"] < 0
    assert full["ranks"][0]["contribution"] == min(rank["contribution"] for rank in full["ranks"])


def test_an_average_bet_splits_into_rate_and_mix_effects_that_add_up(client, cause):
    question = {"date_target": cause["gaming_date"], "dimension": "zone", "metric_col": "averageBetUncarded"}

    answer = client.get("/grouprankdimensions", query_string=question).json

    assert close(math.fsum(rank["contribution"] for rank in answer["ranks"]), answer["change"])
    for rank in answer["ranks"]:
        assert close(rank["rate_effect"] + rank["mix_effect"], rank["contribution"])
    assert answer["ranks"][0]["value"] == cause["value"]


def test_adtributor_names_the_zone_and_reports_its_set_surprise_and_explanatory_power(client, cause):
    answer = client.get(
        "/grouprankdimensions", query_string={"date_target": cause["gaming_date"], "algorithm": "adtributor"}
    ).json

    assert answer["ranks"][0]["dimension"] == "zone" and answer["ranks"][0]["value"] == cause["value"]
    assert {"ep", "surprise", "contribution", "share"} <= answer["ranks"][0].keys()
    best_set = [rank for rank in answer["ranks"] if rank["dimension"] == answer["ranks"][0]["dimension"]]
    assert close(answer["explained_share"], math.fsum(rank["ep"] for rank in best_set))
    assert len({rank["dimension"] for rank in answer["ranks"]}) <= 3
    assert {dimension["dimension"] for dimension in answer["dimensions"]} == {
        "asset",
        "bank",
        "zone",
        "denomination",
        "gameType",
    }


def test_one_asset_and_the_seeds_normdiff(client, warehouse, cause):
    asset = some_asset(warehouse, cause["gaming_date"])

    decomposition = client.get("/singlerankmetrics", query_string={"date_target": cause["gaming_date"], "asset": asset})
    normdiff = client.get(
        "/singlerankmetrics",
        query_string={"date_target": cause["gaming_date"], "asset": asset, "algorithm": "normdiff", "limit": 20},
    )

    assert decomposition.status_code == 200 and decomposition.json["group"] == {"asset": asset}
    assert normdiff.status_code == 200
    assert normdiff.json["explained_share"] is None
    assert "coinIn" not in {rank["metric"] for rank in normdiff.json["ranks"]}
    assert len(normdiff.json["ranks"]) == 12  # every metric but coinIn itself
    assert all("score" in rank for rank in normdiff.json["ranks"])


def test_caller_data_runs_the_same_algorithms_without_the_warehouse(client):
    rows = [
        {"gamingDate": "2018-03-16", "coinInCarded": 300.0, "coinInUncarded": 100.0, "handlePullsCarded": 120,
         "handlePullsUncarded": 80},
        {"gamingDate": "2018-03-23", "coinInCarded": 360.0, "coinInUncarded": 60.0, "handlePullsCarded": 120,
         "handlePullsUncarded": 60},
    ]  # fmt: skip

    answer = client.post("/singlerankmetrics", json={"date_target": "2018-03-23", "data": rows})

    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["group"] == {} and body["baseline_dates"] == ["2018-03-16"]
    assert (body["target_value"], body["baseline_value"], body["change"]) == (420.0, 400.0, 20.0)
    contributions = {rank["metric"]: rank["contribution"] for rank in body["ranks"]}
    # Rated: games unchanged, bet 2.5 -> 3.0; unrated: 80 -> 60 games at mean bet 1.125, bet 1.25 -> 1.0 at 70 games.
    assert close(contributions["averageBetCarded"], 60.0)
    assert close(contributions["handlePullsCarded"], 0.0)
    assert close(contributions["handlePullsUncarded"], -20 * (1.25 + 1.0) / 2)
    assert close(contributions["averageBetUncarded"], -0.25 * (80 + 60) / 2)
    assert close(math.fsum(contributions.values()), 20.0)


def test_caller_data_by_dimension_filters_and_groups_on_the_records(client):
    rows = [
        {"gamingDate": day, "assetNumber": asset, "zone": zone, "coinInCarded": money, "coinInUncarded": 0,
         "handlePullsCarded": 10, "handlePullsUncarded": 0}
        for day, asset, zone, money in [
            ("2018-03-16", "A1", "Z1", 100), ("2018-03-16", "A2", "Z1", 50), ("2018-03-16", "A3", "Z2", 70),
            ("2018-03-23", "A1", "Z1", 40), ("2018-03-23", "A2", "Z1", 60), ("2018-03-23", "A3", "Z2", 900),
        ]
    ]  # fmt: skip

    answer = client.post("/grouprankdimensions", json={"date_target": "2018-03-23", "zone": "Z1", "data": rows}).json

    assert answer["group"] == {"zone": "Z1"}
    assert [(rank["value"], rank["contribution"]) for rank in answer["ranks"]] == [("A1", -60.0), ("A2", 10.0)]
    assert answer["change"] == -50.0


@pytest.mark.parametrize(
    ("endpoint", "question", "status", "code", "field"),
    [
        ("/grouprankmetrics", {"metric_col": "coinOut"}, 422, "unknown_metric", "metric_col"),
        ("/grouprankmetrics", {"metric_col": "theoWin"}, 422, "no_identity_tree", "metric_col"),
        (
            "/grouprankdimensions",
            {"algorithm": "adtributor", "metric_col": "averageBet"},
            422,
            "ratio_metric",
            "metric_col",
        ),
        ("/grouprankdimensions", {"dimension": "floor"}, 422, "invalid_values", "dimension"),
        ("/grouprankmetrics", {"algorithm": "adtributor"}, 422, "unknown_algorithm", "algorithm"),
        ("/grouprankmetrics", {"baseline_weeks": 13}, 422, "invalid_values", "baseline_weeks"),
        ("/grouprankmetrics", {"baseline_weeks": "two"}, 422, "invalid_values", "baseline_weeks"),
        ("/grouprankmetrics", {"limit": 0}, 422, "invalid_values", "limit"),
        ("/grouprankmetrics", {"algorithm": "normdiff", "window_days": 1}, 422, "invalid_values", "window_days"),
        ("/grouprankmetrics", {"method": "best"}, 422, "invalid_values", "method"),
        ("/grouprankmetrics", {"date_target": "2018-02-30"}, 422, "invalid_values", "date_target"),
        ("/grouprankmetrics", {"date_target": None}, 422, "invalid_values", "date_target"),
        ("/grouprankmetrics", {"asset": "A0001"}, 422, "invalid_values", "asset"),
        ("/grouprankmetrics", {"path": "/etc/passwd"}, 422, "path_not_supported", "path"),
        ("/singlerankmetrics", {}, 422, "invalid_values", "asset"),
        ("/singlerankmetrics", {"asset": "NO-SUCH"}, 404, "unknown_asset", "asset"),
        ("/grouprankmetrics", {"zone": "Z99"}, 404, "unknown_group", "zone"),
        ("/grouprankdimensions", {"denomination": "0.03"}, 404, "unknown_group", "denomination"),
    ],
)
def test_each_error_is_json_with_its_status_code_and_field(client, cause, endpoint, question, status, code, field):
    question = {"date_target": cause["gaming_date"], **question}
    question = {name: value for name, value in question.items() if value is not None}

    for response in (client.post(endpoint, json=question), client.get(endpoint, query_string=question)):
        assert response.status_code == status, response.json
        assert response.json["code"] == code
        assert field in response.json["details"].get("fields", {}), response.json
        assert field in response.json["message"] or status == 404 or code == "ratio_metric"


def test_no_data_on_the_target_or_baseline_days_is_a_404_naming_the_days(client, sidecar):
    first_day = sidecar["generator"]["start"]

    no_target = client.get("/grouprankmetrics", query_string={"date_target": "2030-01-01"})
    no_baseline = client.get("/grouprankmetrics", query_string={"date_target": first_day, "zone": "Z1"})

    assert no_target.status_code == 404 and no_target.json["code"] == "no_target_data"
    assert "2030-01-01" in no_target.json["message"]
    assert no_baseline.status_code == 404 and no_baseline.json["code"] == "no_baseline_data"
    assert "zone=Z1" in no_baseline.json["message"] and no_baseline.json["details"]["dates"]


def test_bodies_that_are_not_json_objects_are_refused(client, cause):
    not_json = client.post("/grouprankmetrics", data="date_target=2018-03-05", content_type="text/plain")
    malformed = client.post("/grouprankmetrics", data="{", content_type="application/json")
    a_list = client.post("/grouprankmetrics", json=[cause["gaming_date"]])
    data_in_query = client.get("/grouprankmetrics", query_string={"date_target": cause["gaming_date"], "data": "x"})
    repeated = client.get("/grouprankmetrics?date_target=2018-03-05&date_target=2018-03-06")
    unknown = client.get("/grouprankmetrics", query_string={"date_target": cause["gaming_date"], "colour": "red"})
    bad_record = client.post("/grouprankmetrics", json={"date_target": "2018-03-23", "data": [{"coinIn": "lots"}]})

    assert (not_json.status_code, not_json.json["code"]) == (415, "unsupported_media_type")
    assert (malformed.status_code, malformed.json["code"]) == (400, "malformed_json")
    assert (a_list.status_code, a_list.json["code"]) == (400, "malformed_json")
    assert data_in_query.status_code == 422 and "data" in data_in_query.json["details"]["fields"]
    assert repeated.status_code == 422 and "date_target" in repeated.json["details"]["fields"]
    assert unknown.status_code == 422 and "colour" in unknown.json["details"]["fields"]
    assert bad_record.status_code == 422 and "data[0]" in bad_record.json["details"]["fields"]


def test_the_openapi_document_describes_each_endpoint_both_ways_with_examples(client):
    spec = client.get("/openapi.json").json

    for path in ENDPOINTS:
        operations = spec["paths"][path]
        assert {"get", "post"} <= operations.keys()
        names = {parameter["name"] for parameter in operations["get"]["parameters"]}
        assert {"date_target", "metric_col", "baseline_weeks", "method", "algorithm", "limit"} <= names
        assert {"404", "415", "422"} <= operations["get"]["responses"].keys()
        assert operations["post"]["requestBody"]["content"]["application/json"]["example"]
        assert operations["get"]["operationId"] and operations["post"]["operationId"]


def test_a_browser_gets_the_answer_as_a_page_with_its_waterfall(client, cause):
    question = {"date_target": cause["gaming_date"], "dimension": "zone"}

    page = client.get("/grouprankdimensions", query_string=question, headers={"Accept": "text/html"})
    as_json = client.get("/grouprankdimensions", query_string=question)
    form = client.get("/attribution")
    asked = client.get("/attribution", query_string={"endpoint": "grouprankdimensions", **question})
    refused = client.get("/attribution", query_string={"endpoint": "grouprankmetrics", "date_target": "2018-02-30"})

    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'id="waterfall"' in html and cause["value"] in html
    assert html.count('class="bar contribution') == len(as_json.json["ranks"])
    assert form.status_code == 200 and 'name="date_target"' in form.get_data(as_text=True)
    assert asked.status_code == 200 and 'id="waterfall"' in asked.get_data(as_text=True)
    assert refused.status_code == 422 and "date_target" in refused.get_data(as_text=True)


def test_text_postgresql_cannot_hold_deep_json_and_huge_numbers_are_refused_not_500s(client, cause):
    day = cause["gaming_date"]
    nul = client.get("/singlerankmetrics", query_string={"date_target": day, "asset": "A\x00B"})
    surrogate = client.post(
        "/grouprankmetrics", data=f'{{"date_target": "{day}", "zone": "\\ud800"}}', content_type="application/json"
    )
    deep = client.post("/grouprankmetrics", data="[" * 5000 + "]" * 5000, content_type="application/json")
    rows = [
        {"gamingDate": day, "coinInCarded": 1e308, "coinInUncarded": 1.0, "handlePullsCarded": 1,
         "handlePullsUncarded": 1},
    ]  # fmt: skip
    huge = client.post("/grouprankmetrics", json={"date_target": day, "data": rows})
    refused_records = [
        {"gamingDate": day, "coinInCarded": 10**400},
        {"gamingDate": day, "coinIn": -5.0},
        {"gamingDate": day, "coinIn": 10.0, "coinInCarded": 4.0, "coinInUncarded": 5.0},
        {"gamingDate": 20180323, "coinIn": 1.0},
    ]
    refused = [
        client.post("/grouprankmetrics", json={"date_target": day, "data": [record]}) for record in refused_records
    ]

    assert (nul.status_code, nul.json["code"]) == (422, "invalid_values") and "asset" in nul.json["details"]["fields"]
    assert surrogate.status_code == 422 and "zone" in surrogate.json["details"]["fields"]
    assert (deep.status_code, deep.json["code"]) == (400, "malformed_json")
    assert huge.status_code == 422 and "data[0]" in huge.json["details"]["fields"]
    for response in refused:
        assert response.status_code == 422 and "data[0]" in response.json["details"]["fields"], response.json


def test_ready_names_what_was_published(client):
    assert client.get("/ready").json["latest_gaming_date"] == "2018-09-17"


def test_snapshots_name_each_published_file_and_the_days_it_carried(client, casino):
    (publication,) = client.get("/snapshots").json["attribution"]["publications"]
    assert publication["source_name"] == str(casino.data_path) and len(publication["source_checksum"]) == 64
    assert publication["gaming_days"] == 260
    assert (
        publication["raw_rows"]
        == publication["clean_rows"] + publication["rejected_rows"] + publication["duplicate_rows"]
    )

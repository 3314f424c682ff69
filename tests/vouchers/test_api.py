"""POST /voucher and its alias: the answer, and every way a request can be refused."""

import json

import pytest

QUESTION = {
    "customer_id": 123,
    "country_code": "Peru",
    "last_order_ts": "2018-06-07 00:00:00",  # 100 days before 2018-09-15
    "first_order_ts": "2017-05-03 00:00:00",
    "total_orders": 5,
    "segment_name": "frequent_segment",
}


def ask(client, path="/voucher", **changes):
    return client.post(path, json={**QUESTION, **changes})


@pytest.mark.parametrize("path", ["/voucher", "/voucher_segment_selector"])
def test_answer_explains_itself(client, path):
    response = ask(client, path)
    assert response.status_code == 200
    assert response.json == {
        "voucher_amount": 2640.0,
        "segment_type": "frequent_segment",
        "segment_name": "5-13",
        "as_of": "2018-09-15",
        "from_sample": False,
        "country_code": "Peru",
        "customer_id": 123,
        "total_orders": 5,
        "days_since_last_order": 100,
        "voucher_uses": 3,
        "segment_uses": 5,
        "share": 0.6,
        "runner_up": {"voucher_amount": 4400.0, "voucher_uses": 2},
    }


def test_recency_segment_uses_days_since_last_order(client):
    response = ask(client, segment_name="recency_segment")
    assert response.status_code == 200
    assert (response.json["segment_name"], response.json["voucher_amount"]) == ("91-120", 2640.0)


def test_iso_8601_timestamps_with_offsets_are_accepted(client):
    # 2018-06-07T01:00+02:00 is 2018-06-06 23:00 UTC: 101 days before the snapshot.
    response = ask(client, segment_name="recency_segment", last_order_ts="2018-06-07T01:00:00+02:00")
    assert response.status_code == 200
    assert response.json["days_since_last_order"] == 101


def test_as_of_picks_a_snapshot(client):
    assert ask(client, as_of="2018-09-15").status_code == 200
    response = ask(client, as_of="2018-09-14")
    assert response.status_code == 404
    assert response.json["code"] == "no_snapshot"


@pytest.mark.parametrize(
    "orders, segment_name",
    [(0, None), (1, "1-4"), (4, "1-4"), (5, "5-13"), (13, "5-13"), (14, "14-37"), (37, "14-37"), (38, None)],
)
def test_frequent_boundaries(client, orders, segment_name):
    response = ask(client, total_orders=orders, country_code="Chile")
    if segment_name is None:
        assert response.status_code == 404
        assert response.json["code"] == "no_segment"
        assert f"{orders} orders" in response.json["message"]
    elif segment_name == "1-4":
        assert response.json["segment_name"] == "1-4"
    else:
        # Chile has no customer in that segment: the segment matched, but no answer exists.
        assert response.status_code == 404
        assert response.json["code"] == "no_answer"
        assert response.json["details"]["segment_name"] == segment_name


@pytest.mark.parametrize(
    "days, segment_name",
    [
        (29, None),
        (30, "30-60"),
        (60, "30-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "91-120"),
        (120, "91-120"),
        (121, "121-180"),
        (180, "121-180"),
        (181, "180+"),
    ],
)
def test_recency_boundaries(client, days, segment_name):
    import datetime as dt

    last_order = (dt.date(2018, 9, 15) - dt.timedelta(days=days)).isoformat() + " 23:59:59"
    response = ask(client, segment_name="recency_segment", last_order_ts=last_order)
    body = response.json
    if segment_name is None:
        assert (response.status_code, body["code"]) == (404, "no_segment")
    elif segment_name == "91-120":
        assert body["segment_name"] == "91-120"
    else:
        assert (response.status_code, body["details"]["segment_name"]) == (404, segment_name)


def test_malformed_json_is_400(client):
    response = client.post("/voucher", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json["code"] == "malformed_json"


def test_a_json_array_is_400(client):
    response = client.post("/voucher", json=[QUESTION])
    assert response.status_code == 400


def test_a_body_that_is_not_json_is_415(client):
    response = client.post("/voucher", data="country_code=Peru", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert set(response.json) == {"code", "message", "details"}


@pytest.mark.parametrize("field", ["country_code", "last_order_ts", "first_order_ts", "total_orders", "segment_name"])
def test_each_missing_field_is_named(client, field):
    question = {key: value for key, value in QUESTION.items() if key != field}
    response = client.post("/voucher", json=question)
    assert response.status_code == 422
    assert field in response.json["message"]
    assert field in response.json["details"]["fields"]


@pytest.mark.parametrize(
    "field, value",
    [
        ("total_orders", "15"),
        ("total_orders", 1.5),
        ("total_orders", -1),
        ("customer_id", "abc"),
        ("country_code", 7),
        ("last_order_ts", "yesterday"),
        ("first_order_ts", 20170503),
        ("segment_name", "loyal_segment"),
        ("as_of", "2018-02-30"),
    ],
)
def test_wrong_types_and_values_are_422(client, field, value):
    response = ask(client, **{field: value})
    assert response.status_code == 422
    assert list(response.json["details"]["fields"]) == [field]


def test_several_bad_fields_are_all_named(client):
    response = ask(client, total_orders="x", segment_name="y")
    assert response.status_code == 422
    assert set(response.json["details"]["fields"]) == {"total_orders", "segment_name"}


def test_last_order_before_first_order_is_422(client):
    response = ask(client, last_order_ts="2016-01-01 00:00:00")
    assert response.status_code == 422
    assert "last_order_ts" in response.json["details"]["fields"]


def test_unknown_field_is_422(client):
    response = ask(client, segmentname="frequent_segment")
    assert response.status_code == 422
    assert "segmentname" in response.json["details"]["fields"]


def test_unknown_country_is_422_and_lists_the_known_ones(client):
    response = ask(client, country_code="Atlantis")
    assert response.status_code == 422
    assert response.json["code"] == "unknown_country"
    assert "Peru" in response.json["details"]["fields"]["country_code"][0]


INJECTIONS = [
    "Peru'; drop table model_production.voucher_selection; --",
    "' or '1'='1",
    "Peru\\'",
    "%(as_of)s",
]


@pytest.mark.parametrize("injection", INJECTIONS)
@pytest.mark.parametrize("field", ["country_code", "last_order_ts", "first_order_ts", "segment_name", "as_of"])
def test_injection_in_any_string_field_is_harmless(client, field, injection):
    response = ask(client, **{field: injection})
    assert response.status_code in (404, 422)
    assert set(response.json) == {"code", "message", "details"}
    # The table the injection tried to drop still answers.
    assert ask(client).status_code == 200


def test_unknown_route_and_method_are_json(client):
    assert client.get("/nowhere").json["code"] == "not_found"
    response = client.get("/voucher")
    assert (response.status_code, response.json["code"]) == (405, "method_not_allowed")


@pytest.mark.parametrize("country_code", ["Pe\x00ru", "\ud800"])
def test_a_country_postgresql_cannot_hold_is_a_422_not_a_500(client, country_code):
    body = json.dumps({**QUESTION, "country_code": country_code})
    response = client.post("/voucher", data=body, content_type="application/json")

    assert response.status_code == 422
    assert "country_code" in response.json["details"]["fields"]


def test_json_nested_too_deeply_is_a_400(client):
    response = client.post("/voucher", data="[" * 5000 + "]" * 5000, content_type="application/json")

    assert (response.status_code, response.json["code"]) == (400, "malformed_json")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("total_orders", 2**31),
        ("last_order_ts", "0001-01-01T00:00:00+14:00"),
        ("first_order_ts", "9999-12-31T23:59:59-14:00"),
    ],
)
def test_values_beyond_what_the_warehouse_holds_are_a_422_naming_the_field(client, field, value):
    response = ask(client, **{field: value})

    assert response.status_code == 422
    assert field in response.json["details"]["fields"]


def test_ready_names_what_was_published(client):
    assert client.get("/ready").json["latest_voucher_snapshot"] == "2018-09-15"


def test_snapshots_name_each_snapshots_file_and_its_row_accounting(client):
    (snapshot,) = client.get("/snapshots").json["vouchers"]["snapshots"]
    assert snapshot["as_of_date"] == "2018-09-15"
    assert snapshot["source_name"].endswith("vouchers.csv") and len(snapshot["source_checksum"]) == 64
    assert {key: snapshot[key] for key in ("raw_rows", "clean_rows", "rejected_rows", "duplicate_rows")} == {
        "raw_rows": 6,
        "clean_rows": 6,
        "rejected_rows": 0,
        "duplicate_rows": 0,
    }


@pytest.mark.parametrize("spelled", ["peru", "PERU", "pErU"])
def test_a_country_is_known_whatever_its_case(client, spelled):
    response = ask(client, country_code=spelled)
    assert response.status_code == 200
    assert response.json["country_code"] == "Peru" and response.json["voucher_amount"] == 2640.0

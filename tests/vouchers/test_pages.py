"""The voucher pages, the criteria as JSON, and the voucher endpoints in the OpenAPI document."""

import csv
import io
import re

import pytest


def test_selection_criteria_html_for_a_browser(client):
    response = client.get("/selection_criteria", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "2018-09-15" in page
    assert "<th>Peru</th>" in page
    assert "2640.00" in page


def test_selection_criteria_json(client):
    response = client.get("/selection_criteria", headers={"Accept": "application/json"})
    assert response.status_code == 200
    body = response.json
    assert body["as_of"] == "2018-09-15"
    segments = {(s["segment_type"], s["segment_name"]): s for s in body["segments"]}
    assert len(segments) == 8
    answers = segments[("frequent_segment", "5-13")]["answers"]
    assert answers == [
        {
            "country_code": "Peru",
            "voucher_amount": 2640.0,
            "voucher_uses": 3,
            "segment_uses": 5,
            "runner_up_voucher_amount": 4400.0,
        }
    ]
    assert segments[("recency_segment", "180+")]["max_value"] is None


def test_selection_criteria_bad_as_of_is_400(client):
    response = client.get("/selection_criteria?as_of=yesterday", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "as_of" in response.json["details"]["fields"]


def test_search_voucher_form_renders(client):
    response = client.get("/search_voucher")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # The question travels in the URL, so an answer can be linked; the countries are the latest snapshot's.
    assert '<form method="get"' in page
    assert '<option value="Chile"' in page and '<option value="Peru"' in page


def test_search_voucher_answers(client):
    response = client.post(
        "/search_voucher",
        data={
            "country_code": "Peru",
            "first_order_ts": "2017-05-03 00:00:00",
            "last_order_ts": "2018-06-07 00:00:00",
            "total_orders": "5",
            "segment_name": "frequent_segment",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="answer"' in page and "2640.00" in page and "5-13" in page


def test_search_voucher_shows_errors(client):
    response = client.post("/search_voucher", data={"country_code": "Peru", "total_orders": "many"})
    assert response.status_code == 422
    assert "total_orders" in response.get_data(as_text=True)


def test_search_voucher_refuses_a_number_of_thousands_of_digits(client):
    response = client.post("/search_voucher", data={"country_code": "Peru", "total_orders": "9" * 5000})
    assert response.status_code == 422
    assert "total_orders" in response.get_data(as_text=True)


def test_openapi_document_describes_every_endpoint(client):
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in [
        "/voucher",
        "/voucher_segment_selector",
        "/selection_criteria",
        "/search_voucher",
    ]:
        assert path in spec["paths"], path
    voucher = spec["paths"]["/voucher"]["post"]
    assert voucher["summary"] == "Choose the voucher amount for a customer."
    assert {"400", "404", "415", "422"} <= set(voucher["responses"])
    assert client.get("/docs").status_code == 200


def search_link(country_code: str) -> str:
    """The form's question as a link: 5 orders, frequent segment, in `country_code`."""
    return (
        f"/search_voucher?country_code={country_code}&first_order_ts=2017-05-03+00:00:00"
        "&last_order_ts=2018-06-07+00:00:00&total_orders=5&segment_name=frequent_segment"
    )


def test_search_voucher_answers_a_link(client):
    response = client.get(search_link("peru"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="answer"' in page and "2640.00" in page
    assert '<option value="Peru" selected>' in page


def test_search_voucher_shows_why_a_country_has_no_answer(client):
    response = client.get(search_link("Atlantis"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    # The reason the JSON gives, on the page too: which countries there are.
    assert "country_code" in page and "must be one of [&#39;Chile&#39;, &#39;Peru&#39;]" in page


def test_the_criteria_page_draws_each_answers_share_as_a_bar(client):
    result = client.get("/selection_criteria", headers={"Accept": "application/json"}).json
    page = client.get("/selection_criteria", headers={"Accept": "text/html"}).get_data(as_text=True)
    answers = [answer for segment in result["segments"] for answer in segment["answers"]]
    widths = [float(width) for width in re.findall(r'<rect class="used" width="([0-9.]+)"', page)]
    assert sorted(widths) == sorted(round(80 * a["voucher_uses"] / a["segment_uses"], 2) for a in answers)
    assert 'href="?format=csv&amp;as_of=2018-09-15"' in page


@pytest.mark.parametrize("asked", [{"headers": {"Accept": "text/csv"}}, {"query_string": {"format": "csv"}}])
def test_the_criteria_come_as_csv(client, asked):
    response = client.get("/selection_criteria", **asked)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="selection_criteria-2018-09-15.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    result = client.get("/selection_criteria?format=json").json
    assert len(rows) == sum(max(len(segment["answers"]), 1) for segment in result["segments"])
    peru = next(row for row in rows if row["country_code"] == "Peru" and row["segment_name"] == "5-13")
    assert peru["voucher_amount"] == "2640.0" and peru["as_of"] == "2018-09-15"

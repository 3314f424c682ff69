"""GET /kpi1 and /kpi2: filters, pagination, the seed's JSON shape, and every parameter error."""

import re

import pytest


def test_kpi1_lists_top_services_per_interval_in_the_seed_shape(client):
    response = client.get("/kpi1?interval=5-minute")
    assert response.status_code == 200
    assert response.json == [
        {
            "interval_start_timestamp": "2017-03-01 08:00:00",
            "interval_end_timestamp": "2017-03-01 08:05:00",
            "service_id": 1,
            "total_bytes": 311,
            "interval": "5-minute",
        },
        {
            "interval_start_timestamp": "2017-03-01 08:00:00",
            "interval_end_timestamp": "2017-03-01 08:05:00",
            "service_id": 2,
            "total_bytes": 200,
            "interval": "5-minute",
        },
        {
            "interval_start_timestamp": "2017-03-01 08:00:00",
            "interval_end_timestamp": "2017-03-01 08:05:00",
            "service_id": 3,
            "total_bytes": 100,
            "interval": "5-minute",
        },
        {
            "interval_start_timestamp": "2017-03-01 08:05:00",
            "interval_end_timestamp": "2017-03-01 08:10:00",
            "service_id": 2,
            "total_bytes": 501,
            "interval": "5-minute",
        },
    ]


def test_kpi2_counts_unique_users_per_cell(client):
    hour = client.get("/kpi2?interval=1-hour").json
    assert [(row["cell_id"], row["number_of_unique_users"]) for row in hour] == [(20, 4), (10, 3), (30, 1)]
    assert hour[0]["interval_end_timestamp"] == "2017-03-01 09:00:00"
    assert set(hour[0]) == {
        "interval_start_timestamp",
        "interval_end_timestamp",
        "cell_id",
        "number_of_unique_users",
        "interval",
    }


def test_without_parameters_both_granularities_are_listed(client):
    rows = client.get("/kpi1").json
    assert {row["interval"] for row in rows} == {"5-minute", "1-hour"}
    assert len(rows) == 7


@pytest.mark.parametrize("path", ["/kpi1", "/kpi1/", "/kpi2", "/kpi2/"])
def test_a_trailing_slash_works(client, path):
    assert client.get(path).status_code == 200


def test_from_and_to_in_the_seed_format(client):
    rows = client.get("/kpi1?from=2017-03-01_08:05:00&to=2017-03-01_08:10:00").json
    assert [(row["interval_start_timestamp"], row["service_id"]) for row in rows] == [("2017-03-01 08:05:00", 2)]


def test_from_and_to_in_iso_8601_with_an_offset(client):
    # 09:05+01:00 is 08:05 UTC; answers are in UTC.
    rows = client.get(
        "/kpi2", query_string={"from": "2017-03-01T09:05:00+01:00", "to": "2017-03-01T09:10:00+01:00"}
    ).json
    assert [(row["interval_start_timestamp"], row["cell_id"]) for row in rows] == [("2017-03-01 08:05:00", 20)]


def test_to_bounds_interval_ends(client):
    rows = client.get("/kpi1?from=2017-03-01T08:00:00Z&to=2017-03-01T08:30:00Z").json
    assert {row["interval"] for row in rows} == {"5-minute"}


def test_limit_and_offset_paginate(client):
    everything = client.get("/kpi1").json
    page = client.get("/kpi1?limit=2&offset=3").json
    assert page == everything[3:5]
    assert client.get("/kpi1?offset=100").json == []


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("from=yesterday", "from"),
        ("from=2017-03-01T25:00:00", "from"),
        ("to=2017-13-01_08:00:00", "to"),
        ("interval=2-minute", "interval"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("limit=100000", "limit"),
        ("offset=-1", "offset"),
        ("offset=1.5", "offset"),
        ("offset=9223372036854775808", "offset"),
        ("from=0001-01-01T00:00:00%2B14:00", "from"),
        ("to=9999-12-31T23:59:59-14:00", "to"),
        ("from=2017-03-01_09:00:00&to=2017-03-01_08:00:00", "to"),
        ("form=2017-03-01_08:00:00", "form"),
    ],
)
@pytest.mark.parametrize("path", ["/kpi1", "/kpi2"])
def test_a_malformed_parameter_is_a_400_naming_it(client, path, query, parameter):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.json["code"] == "bad_parameter"
    assert parameter in response.json["message"]
    assert list(response.json["details"]["fields"]) == [parameter]


def test_injection_in_parameters_is_a_400(client):
    response = client.get("/kpi1", query_string={"interval": "5-minute' or '1'='1"})
    assert response.status_code == 400


def test_openapi_documents_the_kpi_parameters(client):
    spec = client.get("/openapi.json").json
    parameters = {parameter["name"] for parameter in spec["paths"]["/kpi1"]["get"]["parameters"]}
    assert parameters == {"from", "to", "interval", "limit", "offset", "format"}
    assert "400" in spec["paths"]["/kpi2"]["get"]["responses"]


def test_ready_names_what_was_published(client):
    assert client.get("/ready").json["latest_kpi_interval_end"] == "2017-03-01T09:00:00+00:00"


def test_snapshots_say_which_intervals_the_kpis_cover(client):
    assert client.get("/snapshots").json["telecom"]["coverage"] == [
        {
            "interval_name": "1-hour",
            "first_interval_start": "2017-03-01T08:00:00+00:00",
            "last_interval_end": "2017-03-01T09:00:00+00:00",
            "intervals": 1,
        },
        {
            "interval_name": "5-minute",
            "first_interval_start": "2017-03-01T08:00:00+00:00",
            "last_interval_end": "2017-03-01T08:10:00+00:00",
            "intervals": 2,
        },
    ]


@pytest.mark.parametrize("asked", [{"headers": {"Accept": "text/csv"}}, {"query_string": {"format": "csv"}}])
def test_kpis_come_as_csv_on_request(client, asked):
    response = (
        client.get("/kpi1?interval=5-minute", **asked)
        if "headers" in asked
        else client.get("/kpi1", query_string={"interval": "5-minute", **asked["query_string"]})
    )
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "interval_start_timestamp,interval_end_timestamp,service_id,total_bytes,interval"
    rows = client.get("/kpi1?interval=5-minute").json
    assert lines[1:] == [",".join(str(value) for value in row.values()) for row in rows] and rows


def test_kpi_pages_say_their_range_and_link_the_next(client):
    total = len(client.get("/kpi1?interval=5-minute").json)
    assert total > 2
    first = client.get("/kpi1?interval=5-minute&limit=2", headers={"Prefer": "count=exact"})
    assert first.headers["Content-Range"] == f"0-1/{total}"
    assert first.headers["Link"] == '</kpi1?interval=5-minute&limit=2&offset=2>; rel="next"'
    assert client.get("/kpi1?interval=5-minute&limit=2").headers["Content-Range"] == "0-1/*"
    last = client.get(f"/kpi1?interval=5-minute&limit=2&offset={total - 1}")
    assert last.headers["Content-Range"] == f"{total - 1}-{total - 1}/*" and "Link" not in last.headers
    assert client.get("/kpi1?interval=5-minute&offset=1000").headers["Content-Range"] == "*/*"


@pytest.mark.parametrize("path", ["/kpi1", "/kpi2"])
def test_a_browser_gets_a_chart_of_the_same_rows(client, path):
    from xml.etree import ElementTree

    rows = client.get(path, headers={"Accept": "application/json"}).json
    page = client.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Accept" in page.headers["Vary"]
    html = page.get_data(as_text=True)
    # One chart per granularity, one bar segment per row, one table row per interval, and links to the same
    # rows as JSON and CSV.
    charts = [ElementTree.fromstring(chart + "</svg>") for chart in re.findall(r"<svg.*?(?=</svg>)", html, re.S)]
    assert [chart.get("id") for chart in charts] == ["kpi-chart-5-minute", "kpi-chart-1-hour"]
    bars = [bar for chart in charts for bar in chart.findall(".//{http://www.w3.org/2000/svg}rect[@class]")]
    assert len(bars) == len(rows)
    assert html.count("<tr><td") == len({(row["interval_start_timestamp"], row["interval"]) for row in rows})
    assert f'href="{path}?format=json"' in html and f'href="{path}?format=csv"' in html
    assert client.get(f"{path}?format=json", headers={"Accept": "text/html"}).json == rows


def test_the_kpi_pages_form_may_leave_fields_blank(client):
    response = client.get("/kpi1?from=&to=&interval=1-hour&limit=3", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert {row["interval"] for row in response.json} == {"1-hour"}
    page = client.get("/kpi1?from=&to=&interval=&limit=1", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'id="next-page" href="/kpi1?from=&amp;to=&amp;interval=&amp;limit=1&amp;offset=1"' in page

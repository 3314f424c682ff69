"""Extreme values in every field the API reads, drawn by hypothesis: no answer may be a 5xx, and every error is
JSON naming what was wrong. The schema-driven fuzz test (test_fuzz.py) draws values of the documented types;
these strategies aim at the edges behind them: integers past int32 and int64, the limits of a timestamp, NUL
bytes and lone surrogates, numbers of thousands of digits, and floats at the ends of their range."""

import json
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api_endpoint import create_app

EXTREME_INTEGERS = st.one_of(
    st.sampled_from([0, -1, 2**31 - 1, 2**31, -(2**31) - 1, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64]),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.just(10**400),
)
EXTREME_FLOATS = st.one_of(
    st.sampled_from([1e308, -1e308, 5e-324, 1e15, -1e15, 0.1, -0.0]),
    st.floats(allow_nan=False, allow_infinity=False),
)
NASTY_TEXT = st.one_of(
    st.sampled_from(
        ["", " ", "\x00", "Peru\x00", "\ud800", "\udfff", "ペルー", "'; drop table raw.x; --", "%s", "a" * 5000]
    ),
    st.text(max_size=50),
)
TIMESTAMPS = st.one_of(
    st.sampled_from(
        [
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-14:00",
            "294277-01-01T00:00:00",
            "2018-02-30T00:00:00",
            "2018-05-03 00:00:00",
            "-infinity",
            "1e400",
        ]
    ),
    st.datetimes().map(lambda moment: moment.isoformat()),
)
ANY_VALUE = st.one_of(EXTREME_INTEGERS, EXTREME_FLOATS, NASTY_TEXT, TIMESTAMPS, st.none(), st.booleans())
QUERY_VALUE = st.one_of(EXTREME_INTEGERS.map(str), NASTY_TEXT, TIMESTAMPS)

EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.fixture(scope="module")
def client(published):
    return create_app({"TESTING": True, "DATABASE_URL": published}).test_client()


def assert_no_server_error(response, what) -> None:
    assert response.status_code < 500, f"{what} -> {response.status_code}: {response.get_data(as_text=True)[:300]}"
    if response.status_code >= 400:
        assert set(response.json) == {"code", "message", "details"}, what


def post_json(client, path: str, body) -> None:
    # json.dumps writes a lone surrogate as an escape, and a 400-digit integer as its digits: both are valid JSON.
    raw = json.dumps(body)
    assert_no_server_error(client.post(path, data=raw, content_type="application/json"), f"POST {path} {raw[:200]}")


@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "country_code": st.one_of(NASTY_TEXT, ANY_VALUE),
            "last_order_ts": st.one_of(TIMESTAMPS, ANY_VALUE),
            "first_order_ts": st.one_of(TIMESTAMPS, ANY_VALUE),
            "total_orders": st.one_of(EXTREME_INTEGERS, ANY_VALUE),
            "segment_name": st.one_of(st.sampled_from(["recency_segment", "frequent_segment"]), ANY_VALUE),
            "as_of": st.one_of(TIMESTAMPS, ANY_VALUE),
        },
    )
)
@EXAMPLES
def test_voucher_questions_at_the_edges(client, body):
    post_json(client, "/voucher", body)


@given(
    path=st.sampled_from(["/kpi1", "/kpi2"]),
    query=st.dictionaries(
        st.sampled_from(["from", "to", "interval", "limit", "offset", "format"]), QUERY_VALUE, max_size=5
    ),
)
@EXAMPLES
def test_kpi_queries_at_the_edges(client, path, query):
    # A lone surrogate goes out as the bytes it would be (%ED%A0%80): not UTF-8, as a hostile client may send.
    encoded = urllib.parse.urlencode(query, errors="surrogatepass")
    assert_no_server_error(client.get(f"{path}?{encoded}"), f"GET {path}?{encoded}")


@given(
    path=st.sampled_from(["/singlerankmetrics", "/grouprankmetrics", "/grouprankdimensions"]),
    body=st.fixed_dictionaries(
        {},
        optional={
            "metric_col": st.one_of(st.sampled_from(["coinIn", "handlePulls"]), NASTY_TEXT),
            "date_target": st.one_of(TIMESTAMPS, ANY_VALUE),
            "baseline_weeks": EXTREME_INTEGERS,
            "limit": EXTREME_INTEGERS,
            "window_days": EXTREME_INTEGERS,
            "asset": st.one_of(NASTY_TEXT, ANY_VALUE),
            "zone": st.one_of(NASTY_TEXT, ANY_VALUE),
            "denomination": st.one_of(EXTREME_FLOATS, EXTREME_INTEGERS, NASTY_TEXT),
            "assets": st.lists(st.one_of(NASTY_TEXT, EXTREME_INTEGERS), max_size=3),
            "min_element_ep": st.one_of(EXTREME_FLOATS, ANY_VALUE),
            "algorithm": st.one_of(st.sampled_from(["adtributor", "normdiff", "decomposition"]), NASTY_TEXT),
            "data": st.lists(
                st.dictionaries(
                    st.sampled_from(["date", "asset", "zone", "coinInCarded", "gamesPlayedCarded", "coinIn"]),
                    ANY_VALUE,
                    max_size=6,
                ),
                max_size=4,
            ),
        },
    ),
)
@EXAMPLES
def test_attribution_questions_at_the_edges(client, path, body):
    post_json(client, path, body)

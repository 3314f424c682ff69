"""The voucher lookup as a minimal Flask app serves it: the comparison bench/voucher_api.py measures the API against.

It answers with one query per request (the whole lookup in SQL, as the API answered before it kept snapshots in
memory) on a pooled connection, and returns the row as JSON: no validation, no error bodies, no cache.
bench/voucher_api.py starts it under the same gunicorn configuration as the API (api_endpoint/gunicorn.conf.py:
workers, worker class, access log), so the two differ only in the app.
"""

import datetime as dt
import os

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

ANSWER_QUERY = """
with snapshot as (
    select as_of_date, coalesce((to_jsonb(snapshots) ->> 'from_sample')::boolean, false) as from_sample
    from model_production.voucher_snapshots as snapshots
    where cast(:as_of as date) is null or as_of_date = cast(:as_of as date)
    order by as_of_date desc
    limit 1
),

segment as (
    select rules.segment_name
    from model_production.voucher_segment_rules as rules
    inner join snapshot on snapshot.as_of_date = rules.as_of_date
    where rules.segment_type = :segment_type
        and case rules.measure
            when 'total_orders' then cast(:total_orders as integer)
            else snapshot.as_of_date - cast(:last_order_date as date)
        end between rules.min_value and coalesce(rules.max_value, 2147483647)
    order by rules.min_value
    limit 1
),

-- The snapshot's spelling of the country, whatever the case it was asked in (an exact match first).
country as (
    select known.country_code
    from model_production.voucher_selection as known
    inner join snapshot on snapshot.as_of_date = known.as_of_date
    where lower(known.country_code) = lower(:country_code)
    order by known.country_code = :country_code desc
    limit 1
)

select
    snapshot.as_of_date,
    snapshot.from_sample,
    snapshot.as_of_date - cast(:last_order_date as date) as days_since_last_order,
    segment.segment_name,
    country.country_code,
    selection.voucher_amount,
    selection.voucher_uses,
    selection.segment_uses,
    selection.runner_up_voucher_amount,
    selection.runner_up_voucher_uses
from snapshot
left join segment on true
left join country on true
left join model_production.voucher_selection as selection
    on selection.as_of_date = snapshot.as_of_date
    and selection.country_code = country.country_code
    and selection.segment_type = :segment_type
    and selection.segment_name = segment.segment_name
"""

app = Flask(__name__)
threads = int(os.environ.get("API_THREADS", "4"))
url = os.environ["API_WAREHOUSE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
engine = create_engine(url, pool_size=threads, max_overflow=threads)


@app.get("/ready")
def ready():
    with engine.connect() as connection:
        connection.execute(text("select 1"))
    return {"status": "ready"}


@app.post("/voucher")
def voucher():
    question = request.get_json()
    with engine.connect() as connection:
        row = (
            connection.execute(
                text(ANSWER_QUERY),
                {
                    "as_of": question.get("as_of"),
                    "segment_type": question["segment_name"],
                    "total_orders": question["total_orders"],
                    "last_order_date": dt.datetime.fromisoformat(question["last_order_ts"]).date(),
                    "country_code": question["country_code"],
                },
            )
            .mappings()
            .first()
        )
    if row is None or row["voucher_amount"] is None:
        return jsonify(error="no answer"), 404
    return jsonify(
        voucher_amount=float(row["voucher_amount"]),
        segment_name=row["segment_name"],
        as_of=row["as_of_date"].isoformat(),
        country_code=row["country_code"],
        voucher_uses=row["voucher_uses"],
        segment_uses=row["segment_uses"],
    )

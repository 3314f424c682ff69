"""The peer the pipelines bench compares with: the voucher file loaded the way the original project did it.

pandas reads the parquet file whole, `DataFrame.to_sql(method="multi")` inserts it, and SQL then keeps the clean
rows (`create table as`) and counts the voucher amounts per segment (`create table as`): the same cleaning rules
as the original, none of this project's lineage, rejects, checks or accounting. It needs pandas (a dev
dependency); without it, the bench leaves the peer out and says why.
"""

import time
from pathlib import Path

# The file's text columns are cast where they hold a value of the type; the original cast them unguarded, which
# stops at the first dirty row of a file like the generated one.
CLEAN_SQL = """
create table peer.voucher_events_clean as
with typed as (
    select
        country_code,
        case when pg_input_is_valid(total_orders, 'numeric') then total_orders::numeric end as total_orders,
        voucher_amount,
        case when pg_input_is_valid(last_order_ts, 'timestamp') then last_order_ts::timestamp end as last_order_ts,
        first_order_ts
    from peer.voucher_events
)

select *
from typed
where total_orders is not null
    and voucher_amount is not null
    and not (total_orders = 0 and (last_order_ts is not null or first_order_ts is not null))
    and not (last_order_ts < first_order_ts)
"""

COUNT_SQL = """
create table peer.voucher_counts as
select
    country_code,
    case
        when total_orders between 1 and 4 then '1-4'
        when total_orders between 5 and 13 then '5-13'
        when total_orders between 14 and 37 then '14-37'
        else 'out_of_range'
    end as frequent_segment,
    voucher_amount,
    count(*) as voucher_uses
from peer.voucher_events_clean
group by 1, 2, 3
"""


def peer_seconds(url: str, parquet: Path) -> dict[str, float]:
    """Run the peer on `parquet` in schema `peer` of the database at `url`; return each step's seconds."""
    import pandas as pd
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    steps: dict[str, float] = {}
    try:
        with engine.begin() as connection:
            connection.execute(text("drop schema if exists peer cascade"))
            connection.execute(text("create schema peer"))
        started = time.perf_counter()
        frame = pd.read_parquet(parquet)
        steps["read_parquet"] = time.perf_counter() - started
        started = time.perf_counter()
        frame.to_sql("voucher_events", engine, schema="peer", method="multi", chunksize=1000, index=False)
        steps["to_sql (multi)"] = time.perf_counter() - started
        started = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(text(CLEAN_SQL))
            connection.execute(text(COUNT_SQL))
        steps["create table as (clean, count)"] = time.perf_counter() - started
        with engine.begin() as connection:
            connection.execute(text("drop schema peer cascade"))
    finally:
        engine.dispose()
    return steps

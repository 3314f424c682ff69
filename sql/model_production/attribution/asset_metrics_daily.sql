-- One row per gaming day and asset: its meters, derived totals and average bets, and the attributes it had
-- that day. A later batch that carries a day again replaces that day's row for each asset it carries. The key
-- leads with the day: every question reads a few days, for the whole casino, a group or one asset.
{% from "macros/attribution.sql" import attributes, meters, totals %}
{{ config(
    replace="(gaming_date, asset_number) in (select gaming_date, asset_number from model_staging.stg_casino__asset_metrics where batch_id = %(batch_id)s)",
    unique_key=["gaming_date", "asset_number"],
    nullable=["average_bet", "average_bet_carded", "average_bet_uncarded"],
) }}

with staged as (
    select * from model_staging.stg_casino__asset_metrics where batch_id = %(batch_id)s
),

final as (
    select
        gaming_date,
        asset_number,
        {% for attribute in attributes %}{{ attribute.column }},
        {% endfor -%}
        denomination,
        {% for meter in meters %}{{ meter.column }},
        {% endfor -%}
        {% for total in totals %}{{ total.column }},
        {% endfor -%}
        average_bet,
        average_bet_carded,
        average_bet_uncarded,
        batch_id,
        source_row_number
    from staged
)

select * from final

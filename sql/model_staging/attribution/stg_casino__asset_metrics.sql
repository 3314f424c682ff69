-- Typed, clean asset metrics, one partition per batch, with the totals and average bets derived here: a
-- file's own coinIn and handlePulls are only checked, never trusted.
{% from "macros/attribution.sql" import attributes, meters, totals %}
{{ config(
    replace="batch_id = %(batch_id)s",
    indexes=["brin:batch_id"],
    nullable=["average_bet", "average_bet_carded", "average_bet_uncarded"],
    checks={
        "meters_not_negative": "least(coin_in_carded, coin_in_uncarded, handle_pulls_carded, handle_pulls_uncarded, time_on_device, sessions_carded) >= 0",
    },
) }}

with checked as (
    select * from int_casino__asset_metrics_checked
),

final as (
    select
        batch_id,
        source_row_number,
        gaming_date,
        asset_number,
        {% for attribute in attributes %}{{ attribute.column }},
        {% endfor -%}
        denomination,
        {% for meter in meters %}{{ meter.column }},
        {% endfor -%}
        {% for total in totals %}{{ total.parts | join(" + ") }} as {{ total.column }},
        {% endfor -%}
        -- A machine that played no games has no average bet, not a zero one.
        (coin_in_carded + coin_in_uncarded) / nullif(handle_pulls_carded + handle_pulls_uncarded, 0) as average_bet,
        coin_in_carded / nullif(handle_pulls_carded, 0) as average_bet_carded,
        coin_in_uncarded / nullif(handle_pulls_uncarded, 0) as average_bet_uncarded
    from checked
    where reject_reason is null
)

select * from final

{#- The source file's columns, its raw (and staged) names, and what each holds. Staging, rejects and checks
    all read this one list. kind: `amount` (decimal >= 0), `signed` (decimal, either sign), `count`
    (whole number >= 0). -#}

{%- set attributes = [
    {"source": "bank", "column": "bank"},
    {"source": "zone", "column": "zone"},
    {"source": "gameType", "column": "game_type"},
] -%}

{%- set meters = [
    {"source": "coinInCarded", "column": "coin_in_carded", "kind": "amount"},
    {"source": "coinInUncarded", "column": "coin_in_uncarded", "kind": "amount"},
    {"source": "handlePullsCarded", "column": "handle_pulls_carded", "kind": "count"},
    {"source": "handlePullsUncarded", "column": "handle_pulls_uncarded", "kind": "count"},
    {"source": "theoWin", "column": "theo_win", "kind": "signed"},
    {"source": "actualWin", "column": "actual_win", "kind": "signed"},
    {"source": "timeOnDevice", "column": "time_on_device", "kind": "amount"},
    {"source": "sessionsCarded", "column": "sessions_carded", "kind": "count"},
] -%}

{%- set totals = [
    {"source": "coinIn", "column": "coin_in", "parts": ["coin_in_carded", "coin_in_uncarded"], "kind": "amount"},
    {"source": "handlePulls", "column": "handle_pulls", "parts": ["handle_pulls_carded", "handle_pulls_uncarded"], "kind": "count"},
] -%}

{#- A number as PostgreSQL reads it, else null. NaN and Infinity parse too: the rules refuse them after, which is
    far cheaper than looking for them in the text. -#}
{% macro parse_number(text) -%}
case when pg_input_is_valid({{ text }}, 'numeric') then {{ text }}::numeric end
{%- endmacro %}

{#- Whether a parsed number is NaN, infinite or too large to be a meter: one comparison each way for every row
    (NaN sorts above every number), and the rarer question of which of them only for the rows that fail it. -#}
{% macro out_of_bounds(value) -%}
({{ value }} >= 1e15 or {{ value }} <= -1e15)
{%- endmacro %}

{% macro not_finite(value) -%}
{{ value }} in ('NaN', 'Infinity', '-Infinity')
{%- endmacro %}

{#- Whether text is an ISO date (YYYY-MM-DD), optionally at midnight as a parquet timestamp reads as text
    (`2018-01-01 00:00:00.000000`, with `Z` or `+00:00` when it has a time zone). Checked by position first: a
    plain date, the usual case, never pays for the regular expression. -#}
{% macro is_iso_day(text) -%}
(length({{ text }}) = 10 or substr({{ text }}, 11) ~ '^[ T]00:00(:00(\.0+)?)?(Z|[+-]00(:?00)?)?$')
    and substr({{ text }}, 5, 1) = '-' and substr({{ text }}, 8, 1) = '-'
    and pg_input_is_valid(left({{ text }}, 10), 'date')
{%- endmacro %}

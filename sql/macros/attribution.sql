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

{#- A number as PostgreSQL reads it, but not NaN or Infinity (both contain an n): null when it is not one. -#}
{% macro parse_number(text) -%}
case when pg_input_is_valid({{ text }}, 'numeric') and strpos(lower({{ text }}), 'n') = 0 then {{ text }}::numeric end
{%- endmacro %}

-- KPI2 as served: replaces exactly the dirty intervals (and their hours) with the freshly computed top 3.
{% from "macros/telecom.sql" import published with context %}
{{ published("top_cells_by_unique_users", "cell_id", "cell_rank", "number_of_unique_users") }}

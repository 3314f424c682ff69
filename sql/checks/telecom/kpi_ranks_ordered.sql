-- Within each recomputed interval, ranks run 1, 2, 3 and values never increase down the ranking.
{% from "macros/telecom.sql" import ranks_ordered %}
{{ ranks_ordered("top_services_by_traffic", "service_id", "service_rank", "total_bytes") }}
union all
{{ ranks_ordered("top_cells_by_unique_users", "cell_id", "cell_rank", "number_of_unique_users") }}

-- A recomputed hour holds all of its 5-minute intervals: a service's hourly bytes, and a cell's hourly
-- distinct users, are never below that service's or cell's figure in one of the hour's 5-minute intervals.
{% from "macros/telecom.sql" import hour_covers_its_intervals %}
{{ hour_covers_its_intervals("top_services_by_traffic", "service_id", "total_bytes") }}
union all
{{ hour_covers_its_intervals("top_cells_by_unique_users", "cell_id", "number_of_unique_users") }}

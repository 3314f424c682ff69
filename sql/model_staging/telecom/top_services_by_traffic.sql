-- KPI1 for every dirty 5-minute interval and the UTC hour around it: the top 3 services by
-- bytes_uplink + bytes_downlink. Ties go to the larger service_id.
{% from "macros/telecom.sql" import top_three with context %}
{{ top_three("service_id", "service_rank", "total_bytes", "sum(bytes_uplink + bytes_downlink)") }}

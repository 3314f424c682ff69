-- KPI1 as served: replaces exactly the dirty intervals (and their hours) with the freshly computed top 3.
{% from "macros/telecom.sql" import published with context %}
{{ published("top_services_by_traffic", "service_id", "service_rank", "total_bytes") }}

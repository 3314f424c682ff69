-- KPI2 for every dirty 5-minute interval and the UTC hour around it: the top 3 cells by distinct msisdn.
-- An hour's users are distinct over the whole hour, not a sum of 5-minute counts. Ties go to the larger cell_id.
{% from "macros/telecom.sql" import top_three with context %}
{{ top_three("cell_id", "cell_rank", "number_of_unique_users", "count(distinct msisdn)") }}

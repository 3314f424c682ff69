{#- Every raw table has the same lineage. Each row carries its batch and its row number within the source; the
    batch's source name and load time are kept once, in audit.load_batches, and shown beside every row by the
    view `<table>_with_lineage`. Writing them into every row made raw's COPY a third slower. -#}

{% macro lineage(table) -%}
-- A table made when raw kept the source name and load time on every row drops them (the batch keeps both, see
-- the view below). Checked first: the ALTER would lock the table on every run.
do $$
begin
    if exists (
        select from pg_attribute
        where attrelid = '{{ table }}'::regclass and attname in ('source_name', 'loaded_at') and not attisdropped
    ) then
        alter table {{ table }} drop column if exists source_name, drop column if exists loaded_at;
    end if;
end
$$;

-- The table's rows with their whole lineage. Made again only when its columns are not the table's and the
-- batch's (a view fixes its columns when it is made): replacing it on every run would lock it.
do $$
begin
    if (
        select array_agg(attname::text order by attnum) from pg_attribute
        where attrelid = to_regclass('{{ table }}_with_lineage') and attnum > 0 and not attisdropped
    ) is distinct from (
        select array_agg(attname::text order by attnum) || array['source_name', 'loaded_at'] from pg_attribute
        where attrelid = '{{ table }}'::regclass and attnum > 0 and not attisdropped
    ) then
        drop view if exists {{ table }}_with_lineage;
        create view {{ table }}_with_lineage as
        select rows.*, batches.source_name, batches.loaded_at
        from {{ table }} as rows
        inner join audit.load_batches as batches on batches.batch_id = rows.batch_id;
    end if;
end
$$;
{%- endmacro %}

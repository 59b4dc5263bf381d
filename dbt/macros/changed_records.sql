{#-
    Which accounts' health inputs changed since the previous build, and from which day
    (int_health_changed_accounts). A delivery loaded after `watermark` changes a record only
    when its content is new for that key: a re-delivered, identical record changes nothing.
    Every version of a changed key counts, so a record that moved to another account or
    another day marks both places.

    changed_records(relation, key_columns, subject_sql, day_sql, watermark, joins='')
      -> a subquery (subject, changed_on): one row per version of each changed key.
         subject_sql (usually the account) and day_sql are SQL over the raw row `r` (`joins`
         may add lookups); a null day means "all of the history" (a change without a date:
         an account's segment, a contract).
-#}
{% macro changed_records(relation, key_columns, subject_sql, day_sql, watermark, joins='') -%}
    {%- set load_columns = ['_run_id', '_source_file', '_row_number', '_loaded_at', '_extra'] -%}
    {%- set content = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) if column.name not in load_columns -%}
        {%- do content.append('coalesce(cast(r.' ~ adapter.quote(column.name) ~ " as string), '~')") -%}
    {%- endfor -%}
    (
        with

        touched_keys as (
            select distinct {{ key_columns | join(', ') }}
            from {{ relation }}
            where _loaded_at > {{ watermark }}
        ),

        versions as (
            select
                {% for k in key_columns %}r.{{ k }}, {% endfor %}
                {{ subject_sql }} as subject,
                {{ day_sql }} as changed_on,
                md5(concat_ws('|', {{ content | join(', ') }})) as fingerprint,
                r._loaded_at > {{ watermark }} as is_new
            from {{ relation }} as r
            inner join touched_keys
                on {% for k in key_columns %}r.{{ k }} = touched_keys.{{ k }}{{ " and " if not loop.last }}{% endfor %}
            {{ joins }}
        ),

        changed_keys as (
            select distinct {% for k in key_columns %}new_version.{{ k }}{{ ", " if not loop.last }}{% endfor %}
            from versions as new_version
            where new_version.is_new
                and not exists (
                    select 1
                    from versions as earlier
                    where not earlier.is_new
                        and earlier.fingerprint = new_version.fingerprint
                        {% for k in key_columns %}and earlier.{{ k }} = new_version.{{ k }} {% endfor %}
                )
        )

        select versions.subject, versions.changed_on
        from versions
        inner join changed_keys
            on {% for k in key_columns %}versions.{{ k }} = changed_keys.{{ k }}{{ " and " if not loop.last }}{% endfor %}
    )
{%- endmacro %}

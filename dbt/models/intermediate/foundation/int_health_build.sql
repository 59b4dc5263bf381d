-- This build of the health history, one row: how it is built (macro health_history_state:
-- full or incremental, and why), the newest raw _loaded_at among the health inputs (the
-- watermark the next build compares deliveries with) and the hash of the health seeds it
-- scores with. fct_account_health stores the last two on its rows.
{{ health_history_depends_on() }}
{% set state = health_history_state() %}

select
    '{{ state.mode }}' as build_mode,
    '{{ state.reason }}' as build_reason,
    (
        select max(_loaded_at)
        from (
            {% for spec in health_input_sources() %}
                select max(_loaded_at) as _loaded_at from {{ source(spec.source, spec.table) }}
                {%- if state.watermark is not none %}
                -- raw tables grow in load order: the scan skips every block loaded before
                    where _loaded_at > cast('{{ state.watermark }}' as timestamp)
                {%- endif %}
                union all
            {% endfor %}
            select
                {{ "cast('" ~ state.watermark ~ "' as timestamp)" if state.watermark is not none else "cast(null as timestamp)" }}
        ) as loads
    ) as inputs_loaded_at,
    {{ health_seeds_hash() }} as seeds_hash,
    {{ build_started_at() }} as built_at

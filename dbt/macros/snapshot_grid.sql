{#-
    The snapshot grid (CONTRACT section 3, reading 23, section 10): history snapshots are grid
    days (ISO weekday var `snapshot_weekday`, default 7 = Sunday) plus the current day D when
    it is not a grid day. A grid day's rows depend only on the data inside their windows,
    never on D, so a daily run adds or replaces the current snapshot and leaves history alone.
-#}

{#- ISO day of the week of a date, 1 = Monday .. 7 = Sunday. -#}
{% macro iso_weekday(date_expr) -%}
    {{ return(adapter.dispatch('iso_weekday', 'cswh')(date_expr)) }}
{%- endmacro %}

{% macro default__iso_weekday(date_expr) -%}
    cast(extract(isodow from {{ date_expr }}) as integer)
{%- endmacro %}

{% macro spark__iso_weekday(date_expr) -%}
    cast(extract(dayofweek_iso from {{ date_expr }}) as integer)
{%- endmacro %}

{#- The latest grid day on or before `date_expr`. -#}
{% macro grid_day_on_or_before(date_expr) -%}
    {{ add_days(date_expr, '0 - ((' ~ iso_weekday(date_expr) ~ ' - ' ~ (var('snapshot_weekday') | int) ~ ' + 7) % 7)') }}
{%- endmacro %}

{#- Look-back of the change columns (health_score_change_28d, score_change_28d, reading 13):
    the reference snapshot of S is the latest snapshot dated on or before S - 28. The contract
    names the columns after it, so it is a constant of the contract, not a tuning knob. -#}
{% macro health_change_days() -%}
    28
{%- endmacro %}

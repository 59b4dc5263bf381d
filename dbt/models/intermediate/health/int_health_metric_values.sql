-- Every enabled health metric's value for every active account and snapshot date, in
-- long form (account_id, snapshot_date, dimension, metric, value). One row per metric
-- even when it has no value (null: denominator zero or inputs absent), so the scoring
-- can give it weight 0 (reading 25). The dimension and enabled flag come from seed
-- health_metrics; the value from the column of the same name in one of the family models
-- int_health_<family>_metrics (var health_metric_families). A new metric is a seed row and
-- a column in its family model: nothing here changes.
{%- set families = var('health_metric_families') %}
{%- for family in families %}
-- depends_on: {{ ref('int_health_' ~ family ~ '_metrics') }}
{%- endfor %}

{%- set sources = [] %}
{%- set seed = ref('health_metrics') %}
{#- The columns are looked up when the seed and every family model exist, as in a build
    (they are upstream); a compile on a warehouse without them (dbt docs) has nothing to check. -#}
{%- set inputs = [seed] %}
{%- for family in families %}
    {%- do inputs.append(ref('int_health_' ~ family ~ '_metrics')) %}
{%- endfor %}
{%- set present = [] %}
{%- if execute %}
    {%- for relation in inputs if adapter.get_relation(relation.database, relation.schema, relation.identifier) is not none %}
        {%- do present.append(relation) %}
    {%- endfor %}
{%- endif %}
{%- if execute and present | length == inputs | length %}
    {%- set enabled = run_query('select metric from ' ~ seed ~ ' where enabled order by metric').columns[0].values() %}
    {%- for metric in enabled %}
        {%- set found = [] %}
        {%- for family in families %}
            {%- set relation = ref('int_health_' ~ family ~ '_metrics') %}
            {%- if metric in adapter.get_columns_in_relation(relation) | map(attribute='name') | list %}
                {%- do found.append(relation) %}
            {%- endif %}
        {%- endfor %}
        {%- if found | length != 1 %}
            {{ exceptions.raise_compiler_error(
                "health metric '" ~ metric ~ "' (seed health_metrics) must be a column of exactly one "
                ~ "family model int_health_<family>_metrics (var health_metric_families: "
                ~ families | join(', ') ~ "); found in " ~ (found | length) ~ ". See CONTRIBUTING.md."
            ) }}
        {%- endif %}
        {%- do sources.append((metric, found[0])) %}
    {%- endfor %}
{%- endif %}

with

account_snapshots as (
    select * from {{ ref('int_account_snapshots') }}
),

health_metrics as (
    select * from {{ ref('health_metrics') }}
),

enabled_metrics as (
    select
        dimension,
        metric
    from health_metrics
    where enabled
),

metric_values as (
    {% for metric, relation in sources %}
    select
        account_id,
        snapshot_date,
        '{{ metric }}' as metric,
        cast({{ metric }} as double) as value
    from {{ relation }}
    {{ "union all" if not loop.last }}
    {% else %}
    -- compiled before the seed exists (dbt compile, sqlfluff on a new warehouse)
    -- noqa: disable=LT02
    select
        cast(null as string) as account_id,
        cast(null as date) as snapshot_date,
        cast(null as string) as metric,
        cast(null as double) as value
    where 1 = 0
    -- noqa: enable=LT02
    {% endfor %}
),

final as (
    select
        account_snapshots.account_id,
        account_snapshots.snapshot_date,
        enabled_metrics.dimension,
        enabled_metrics.metric,
        metric_values.value
    from account_snapshots
    cross join enabled_metrics
    left join metric_values
        on
            account_snapshots.account_id = metric_values.account_id
            and account_snapshots.snapshot_date = metric_values.snapshot_date
            and enabled_metrics.metric = metric_values.metric
)

select * from final

{#- Customers' people in the published schemas: a pseudonymous key, never the address.
    normalise_email is the one normalisation of an e-mail address (identity matching, opt-outs,
    the person key); person_key is sha256(salt || normalised e-mail) in lower-case hex, the
    salt kept outside the warehouse (dagster_project/privacy.py). -#}

{% macro normalise_email(expr) -%}
    lower(trim({{ expr }}))
{%- endmacro %}

{% macro person_key(expr) -%}
    {{ return(adapter.dispatch('person_key')(expr)) }}
{%- endmacro %}

{% macro default__person_key(expr) -%}
    {{ exceptions.raise_compiler_error(
        "person_key: no implementation for adapter '" ~ adapter.type() ~ "': add a macro "
        ~ adapter.type() ~ "__person_key (sha256 of the salt and normalise_email(expr))"
    ) }}
{%- endmacro %}

{% macro duckdb__person_key(expr) -%}
    case
        when nullif({{ normalise_email(expr) }}, '') is null then null
        when getvariable('cswh_person_key_salt') is null
            then error('person_key: no salt (DuckDB variable cswh_person_key_salt; profiles.yml plugin dagster_project.dbt_person_key)')
        else sha256(getvariable('cswh_person_key_salt') || {{ normalise_email(expr) }})
    end
{%- endmacro %}

{#- Spark: the salt is the session setting spark.cswh.person_key_salt (profiles.yml, from the
    secret DBT_ENV_SECRET_CSWH_PERSON_KEY_SALT), substituted by Spark when it runs the query,
    so the compiled SQL and dbt's logs show only its name. -#}
{% macro spark__person_key(expr) -%}
    case
        when nullif({{ normalise_email(expr) }}, '') is null then null
        when '${spark.cswh.person_key_salt}' in ('', '$' || '{spark.cswh.person_key_salt}')
            then raise_error('person_key: no salt (Spark setting spark.cswh.person_key_salt from DBT_ENV_SECRET_CSWH_PERSON_KEY_SALT; profiles.yml)')
        else sha2('${spark.cswh.person_key_salt}' || {{ normalise_email(expr) }}, 256)
    end
{%- endmacro %}

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

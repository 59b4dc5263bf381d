{#-
    The one home of the override rule (CONTRACT section 11): at a day S the account's latest
    override (by set_at, then the larger override_id) with set_on <= S <= expires_on applies.
    override_applies(alias, day): the condition that the override row `alias` covers `day`.
    override_precedence(alias): the window ordering of an account's covering overrides,
    the one that applies first. Used by int_health_overrides (every snapshot) and
    fct_health_overrides (the list as of D).
-#}
{% macro override_applies(alias, day) -%}
    {{ alias }}.set_on <= {{ day }} and {{ alias }}.expires_on >= {{ day }}
{%- endmacro %}

{% macro override_precedence(alias) -%}
    order by {{ alias }}.set_at desc, {{ alias }}.override_id desc
{%- endmacro %}

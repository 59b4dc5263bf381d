{#- Schemas are the layer names themselves (staging, intermediate, marts, seeds), not
    <target>_<layer>: analysts and the contract address them as marts.<table>. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}

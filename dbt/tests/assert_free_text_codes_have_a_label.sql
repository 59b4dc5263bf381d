-- The ticket categories and channels the help desk sends (free text in the contract, so a
-- new one can arrive any day) have a label in seed code_labels. A warning, not an error:
-- a new category must not stop the publish; the page shows the raw code until the label
-- is added to dbt/seeds/code_labels.csv (code_kind ticket_category / ticket_channel).
-- Reported in Dagster as a check on fct_tickets.
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'fct_tickets'}}}) }}

{%- set checks = [
    [ref('fct_tickets'), 'category', 'ticket_category'],
    [ref('fct_tickets'), 'channel', 'ticket_channel']
] %}

with

unlabelled as (
    {{ unlabelled_codes(checks) }}
)

select * from unlabelled

-- mart_arr_movements: a month's arr_end is the next month's arr_start, per segment (both are
-- the ARR on the same day, the month's last day). A row returned names the segment, the
-- month and the two amounts that differ.
with

movements as (
    select * from {{ ref('mart_arr_movements') }}
),

paired as (
    select
        segment,
        month,
        arr_end,
        lead(arr_start) over (partition by segment order by month asc) as next_arr_start
    from movements
),

final as (
    select * from paired
    where next_arr_start is not null and next_arr_start <> arr_end
)

select * from final

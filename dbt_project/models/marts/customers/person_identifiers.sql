{#- The identity graph: every identifier of every (non-erased) person. -#}
select
    person_id,
    identifier_type,
    identifier_value,
    first_seen_at,
    last_seen_at
from {{ ref('int_identifiers_resolved') }}

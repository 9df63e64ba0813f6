{#- Membership history: the snapshots in snapshots/ record state by run date, never by
    the clock. A night for date D records the state valid from D; a night for a date
    before the latest one recorded (a backfill) records nothing; a night for the latest
    recorded date again (a re-run) replaces what that date recorded. -#}

{#- The time dbt stamps on a snapshot change it does not read from a column (a row that
    left its source is closed then): the run date, so a change is dated by the night
    that saw it, like every other row. Overrides dbt's clock-based default. -#}
{% macro snapshot_get_time() -%}
    {{ run_date() }}
{%- endmacro %}

{#- dbt also dispatches to these directly (its check that the snapshot's time columns
    share one type). -#}
{% macro default__snapshot_get_time() -%}
    {{ run_date() }}
{%- endmacro %}

{% macro duckdb__snapshot_get_time() -%}
    {{ run_date() }}
{%- endmacro %}


{#- The latest date a snapshot recorded (a valid_from or valid_to), or none when the
    snapshot table does not exist yet or is empty. -#}
{% macro history_latest_date() -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set existing = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- if existing is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = run_query(
        "select max(case when dbt_valid_to > dbt_valid_from then dbt_valid_to"
        ~ " else dbt_valid_from end) from " ~ existing
    ) -%}
    {{ return(found.columns[0].values()[0]) }}
{%- endmacro %}


{#- The select of a snapshot: tonight's rows of `relation` (`columns`, plus run_date),
    or, when tonight must not change the history, the rows the snapshot holds as
    current, so the snapshot compares them with themselves and records nothing:
    - a backfill (run_date before the latest recorded date);
    - a source with no row for the run date (a model that did not score tonight):
      nothing is known, so nobody is closed.
    dated: the relation keeps every run date in a run_date column (ml, audiences);
    otherwise it holds the state as of run_date only (the marts). -#}
{% macro history_source(relation, columns, dated=false) -%}
    {%- set night = var('run_date', '') -%}
    {%- set tonight -%}
        select
            {% if dated %}run_date{% else %}{{ run_date() }} as run_date{% endif %},
            {{ columns | join(',\n            ') }}
        from {{ relation }}
        {%- if dated %}
        where run_date = {{ run_date() }}
        {%- endif %}
    {%- endset -%}
    {%- set replay -%}
        select
            run_date,
            {{ columns | join(',\n            ') }}
        from {{ this }}
        where dbt_valid_to is null
    {%- endset -%}
    {%- set latest = history_latest_date() -%}
    {%- set source_exists = execute and adapter.get_relation(
        relation.database, relation.schema, relation.identifier) is not none -%}
    {%- if not source_exists -%}
        {#- Parsing, or compiling before the source is built: nothing to count. -#}
        {{ tonight }}
    {%- elif latest is not none and latest | string > night | string -%}
        {{ log(this.identifier ~ ": run date " ~ night ~ " is before the latest recorded night "
            ~ latest ~ "; a backfill leaves the history as it is, nothing recorded", info=True) }}
        {{ replay }}
    {%- else -%}
        {%- set rows = run_query("select count(*) from (" ~ tonight ~ ") as tonight").columns[0].values()[0] -%}
        {%- if rows == 0 and latest is not none -%}
            {{ log(this.identifier ~ ": " ~ relation ~ " has no row for " ~ night
                ~ "; nothing recorded, the history stays as of " ~ latest, info=True) }}
            {{ replay }}
        {%- else -%}
            {%- if rows == 0 -%}
                {{ log(this.identifier ~ ": " ~ relation ~ " has no row for " ~ night
                    ~ "; the history starts empty", info=True) }}
            {%- endif -%}
            {{ tonight }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- Pre-hooks of every snapshot: a re-run of the latest recorded date first takes back
    what that date recorded, its new rows (step 'rows') and the end dates it set (step
    'ends'), so the night is recorded once, from tonight's data. Any other date leaves
    the table alone. -#}
{% macro history_undo_rerun(step) -%}
    {%- if execute and adapter.get_relation(this.database, this.schema, this.identifier) is not none -%}
        {%- set nothing_later -%}
            not exists (
                select 1 from {{ this }} as later
                where later.dbt_valid_from > {{ run_date() }}
                    or later.dbt_valid_to > {{ run_date() }}
            )
        {%- endset -%}
        {%- if step == 'rows' -%}
        delete from {{ this }}
        where dbt_valid_from = {{ run_date() }} and {{ nothing_later }}
        {%- else -%}
        update {{ this }} set dbt_valid_to = null
        where dbt_valid_to = {{ run_date() }} and {{ nothing_later }}
        {%- endif -%}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

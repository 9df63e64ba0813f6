{#- Connected components by label propagation: every node starts with its label, labels
    flow along links until each node holds the smallest label of its component.
    Returns a query of (node, label), one row per node.

    nodes: a relation or CTE with columns node, label.
    links: a relation or CTE with columns a, b; give both directions for an undirected
           graph. -#}
{% macro connected_components(nodes, links) -%}
    {{ return(adapter.dispatch('connected_components', 'personalization')(nodes, links)) }}
{%- endmacro %}

{#- A recursive CTE (DuckDB, Postgres, Trino; Spark SQL from the release with recursive
    CTEs). `union` (not `union all`) stops the walk when no (node, label) pair is new. -#}
{% macro default__connected_components(nodes, links) -%}
    with recursive walk (node, label) as (
        select node, label from {{ nodes }}
        union
        select edges.b, walk.label
        from walk
        inner join {{ links }} as edges on edges.a = walk.node
    )

    select node, min(label) as label
    from walk
    group by node
{%- endmacro %}

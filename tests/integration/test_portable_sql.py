"""The dbt project is portable SQL: what it compiles to transpiles to Spark SQL.

Two checks guard the rule that DuckDB-only syntax lives only in the DuckDB
implementations of the dispatch macros (``dbt_project/macros/cross_db/``):

- every compiled model and test (macros expanded) transpiles from DuckDB to Spark with
  sqlglot, unsupported constructs raising, and holds none of the constructs Spark SQL
  rejects although sqlglot passes them through (a comma after the last select column,
  ``* exclude``, ``as not materialized``);
- the project's SQL sources outside ``macros/cross_db/`` spell nothing the DuckDB way:
  on Spark the models are compiled, not transpiled, so a DuckDB function written in a
  model (``arg_max``, ``sha256``, ``strftime``, ...) would reach Spark as it is.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from tests.integration.conftest import END, dbt
from warehouse.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.integration

CROSS_DB_MACROS = DBT_PROJECT_DIR / "macros" / "cross_db"

_SQL_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
_STRINGS = re.compile(r"'(?:[^']|'')*'")
_TRAILING_COMMA = re.compile(r",\s*\bfrom\b", re.IGNORECASE)

#: DuckDB spellings a model, test or shared macro must not use, and what to use instead.
#: Checked on the source with Jinja, comments and string literals removed.
DUCKDB_ONLY_SPELLINGS: tuple[tuple[str, str], ...] = (
    (r"\bgroup\s+by\s+all\b", "group by all: list the columns"),
    (r"\b(?:anti|semi|asof|positional)\s+join\b", "DuckDB join kind: use (not) exists"),
    (r"\*\s*(?:exclude|replace)\b", "* exclude / replace: list the columns"),
    (r"\bas\s+(?:not\s+)?materialized\b", "CTE materialization hint"),
    (r"\bwith\s+recursive\b", "recursive CTE: isolate it in a cross_db dispatch macro"),
    (r"\bqualify\b", "qualify: filter a window function in a subquery"),
    (r"->>?|::", "DuckDB operator (->>, ::): use json_extract_string or cast()"),
    (r"\[\s*-?\d+\s*\]", "list indexing"),
    (r"\bvarchar\b", "varchar: use dbt.type_string()"),
    (r'"[^"\n]*"', "double quotes: Spark reads them as a string; use adapter.quote()"),
    (
        r"\b(?:arg_max|arg_min|max_by|min_by|sha256|sha2|strftime|strptime|date_format"
        r"|to_char|date_diff|datediff|date_add|dateadd|date_sub|date_trunc|json_\w+"
        r"|get_json_object|string_split\w*|str_split|split_part|median|percentile\w*"
        r"|quantile\w*|epoch\w*|starts_with|list_\w+|array_\w+|regexp_\w+|struct_\w+"
        r"|unnest|generate_series|conv)\s*\(",
        "engine-specific function: call a dbt or cross_db macro",
    ),
)
_DUCKDB_ONLY = [(re.compile(pattern, re.IGNORECASE), why) for pattern, why in DUCKDB_ONLY_SPELLINGS]


def spark_problems(sql: str) -> list[str]:
    """What in one compiled statement Spark SQL cannot run.

    Args:
        sql: A compiled model or test, DuckDB dialect.

    Returns:
        One message per problem; empty when the statement transpiles to Spark SQL.
    """
    problems = []
    if _TRAILING_COMMA.search(_STRINGS.sub("''", _SQL_COMMENTS.sub(" ", sql))):
        problems.append("a select list ends with a comma before from")
    try:
        sqlglot.transpile(
            sql, read="duckdb", write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE
        )
        trees = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.SqlglotError as error:
        return [*problems, f"no Spark equivalent: {str(error).splitlines()[0]}"]
    for tree in trees:
        for node in tree.walk() if tree else ():
            if isinstance(node, exp.Star) and any(
                node.args.get(arg) for arg in ("except", "except_", "replace", "rename")
            ):
                problems.append("* exclude / replace: Spark SQL has no column exclusion")
            elif isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
                problems.append("as [not] materialized: Spark SQL has no CTE hints")
    return problems


def duckdb_only_spellings(source: str) -> list[str]:
    """The DuckDB-only spellings in the SQL of a dbt source file, with their line.

    Jinja (macro calls included), comments and string literals are removed first, so
    ``{{ arg_max(...) }}`` passes and a bare ``arg_max(`` does not.

    Args:
        source: The text of a ``.sql`` file of the dbt project.

    Returns:
        ``line N: <what> (<snippet>)`` for each finding; empty when portable.
    """
    blank = lambda match: re.sub(r"[^\n]", " ", match.group(0))  # noqa: E731
    sql = _SQL_COMMENTS.sub(blank, _JINJA.sub(blank, source))
    findings = [
        f"line {sql.count(chr(10), 0, match.start()) + 1}: hex cast: use hex_to_bigint()"
        for match in re.finditer(r"'0x'", sql)
    ]
    sql = _STRINGS.sub(lambda match: "'" + " " * (len(match.group(0)) - 2) + "'", sql)
    for pattern, why in _DUCKDB_ONLY:
        for match in pattern.finditer(sql):
            line = sql.count("\n", 0, match.start()) + 1
            findings.append(f"line {line}: {why} ({match.group(0).strip()})")
    return findings


# The checks themselves: each must catch a known DuckDB-only snippet.


@pytest.mark.parametrize(
    "sql",
    [
        "select a, b, from t",
        "select a,\n    b,\nfrom t",
        "select * exclude (a) from t",
        "with s as not materialized (select 1 as a) select * from s",
        "select arg_max(a, b, 3) from t",
    ],
)
def test_spark_check_rejects_duckdb_only_sql(sql: str) -> None:
    """Regression: trailing commas, column exclusion, CTE hints and DuckDB-only
    aggregates (sqlglot raises on them) must fail the portability check."""
    assert spark_problems(sql)


def test_spark_check_accepts_portable_sql() -> None:
    sql = """
        with orders as (select * from "db"."marts"."fct_orders")
        select person_id, count(*) filter (where is_revenue) as n, max_by(channel, ordered_at) as c
        from orders
        where order_id not in (select order_id from orders where is_cancelled)
        group by person_id
    """
    assert spark_problems(sql) == []


@pytest.mark.parametrize(
    "source",
    [
        "select person_id, arg_max(a, b) as a from t group by person_id",
        "select a, count(*) as n from t group by all",
        "select * from t anti join u using (k)",
        "select traits->>'email' as email from t",
        "select cast(x as varchar) as x from t",
        "select props[1] as product_id from t",
        'select "messageId" from t',
        "select cast(('0x' || h) as bigint) as n from t",
        "with recursive walk as (select 1 as n) select * from walk",
        "select sha256(email) as h from t",
    ],
)
def test_source_check_rejects_duckdb_spellings(source: str) -> None:
    """Regression: DuckDB spellings outside the cross_db macros must be reported."""
    assert duckdb_only_spellings(source)


def test_source_check_accepts_macro_calls_comments_and_strings() -> None:
    source = """
        {#- arg_max( in a note, and "quoted" words -#}
        select
            {{ arg_max('category', ['weight', 'category']) }} as preferred_category,
            {{ adapter.quote('messageId') }} as event_id,
            'group by all, ->> :: "x"' as label -- sha256( in a comment
        from t
    """
    assert duckdb_only_spellings(source) == []


# The project.


def test_project_sources_use_no_duckdb_only_spellings() -> None:
    """Models, tests and shared macros spell engine-specific SQL only through dbt's
    cross-database macros and the dispatch macros in macros/cross_db/."""
    sources = [
        path
        for folder in ("models", "macros", "tests")
        for path in sorted((DBT_PROJECT_DIR / folder).rglob("*.sql"))
        if CROSS_DB_MACROS not in path.parents
    ]
    assert len(sources) > 40
    findings = [
        f"{path.relative_to(DBT_PROJECT_DIR)} {finding}"
        for path in sources
        for finding in duckdb_only_spellings(path.read_text())
    ]
    assert findings == [], "\n".join(findings)


def test_every_dispatch_macro_has_a_default_implementation() -> None:
    """An engine without its own implementation of a cross_db macro falls back to
    ``default__``, so adding an engine never fails on a missing macro."""
    text = "\n".join(path.read_text() for path in CROSS_DB_MACROS.glob("*.sql"))
    dispatched = set(re.findall(r"adapter\.dispatch\('(\w+)'", text))
    assert len(dispatched) >= 8
    defaults = set(re.findall(r"\{%-?\s*macro\s+default__(\w+)\(", text))
    assert dispatched - defaults == set()
    documented = (CROSS_DB_MACROS / "_cross_db__macros.yml").read_text()
    assert {name for name in dispatched if f"- name: {name}\n" not in documented} == set()


@pytest.fixture(scope="module")
def compiled_sql(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every model and test of the project compiled against the built sample."""
    target = tmp_path_factory.mktemp("compiled")
    dbt(["compile", "--target-path", str(target)], built_warehouse, END)
    manifest = json.loads((target / "manifest.json").read_text())
    return {
        unique_id: node["compiled_code"]
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "test", "analysis", "snapshot")
    }


def test_compiled_project_transpiles_to_spark(compiled_sql: dict) -> None:
    """Every compiled model and test transpiles from DuckDB to Spark SQL with
    unsupported constructs raising, and no select list ends with a comma."""
    models = [uid for uid in compiled_sql if uid.startswith("model.")]
    model_files = list((DBT_PROJECT_DIR / "models").rglob("*.sql"))
    assert len(models) == len(model_files)
    assert sum(uid.startswith("test.") for uid in compiled_sql) > 50
    problems = {uid: spark_problems(sql) for uid, sql in compiled_sql.items()}
    problems = {uid: found for uid, found in problems.items() if found}
    assert problems == {}, json.dumps(problems, indent=2)

"""The run report: one self-contained HTML page per night, ``report.html``.

Written into the staged export folder beside the audience files, audited and published
with them, and listed in the manifest (``report``: file, sha256, sections). Five
sections, each read from the warehouse as the night left it:

* ``audiences``: treated and control members per audience (``audiences.membership``)
  and the change in treated members against the previous published night (its
  manifest);
* ``lift``: the holdout lift of every audience, channel and outcome window
  (``marts.audience_lift``: per audience, channel and window the latest closed window
  up to the run date, else the latest open one), with confidence intervals; "no lift
  computed yet" while that table is missing or empty;
* ``models``: what each model reported (``ml.model_metrics``) and the models skipped
  (``ml.model_skips``);
* ``drift``: the population stability index of every model feature and score
  (``ml.feature_drift``);
* ``loads``: files loaded and rows rejected per source and entity (``raw._loads``,
  ``raw._rejects``) and what became of every delivered order and line
  (``marts.order_reconciliation``).

Only aggregates: no person id, contact or delivered value (reject reasons and raw lines
can quote delivered values, so they stay in ``raw._rejects``). The page opens with no
network: plots are PNG images inside the page (``data:`` URIs), the style is inline and
there is no script, font, stylesheet or image from elsewhere. The same warehouse gives
the same bytes (no clock is read; PNGs carry no timestamp or software tag).

Every figure sits in a table cell that names its column (``data-col``) and carries the
exact value (``data-value``), and every row names its key (``data-key``), so a reader or
a test can take the numbers back out with an HTML parser.
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from warehouse.audiences import Audience
from warehouse.export.layout import MANIFEST, REPORT
from warehouse.export.sql import table_exists
from warehouse.files import sha256_file

log = logging.getLogger(__name__)

SECTIONS = ("audiences", "lift", "models", "drift", "loads")
NO_LIFT = "No lift computed yet"
LIFT_COLUMNS = (
    "audience",
    "channel",
    "window_days",
    "run_date",
    "window_closed",
    "treated_n",
    "control_n",
    "conversion_diff",
    "conversion_ci_low",
    "conversion_ci_high",
    "conversion_p_value",
    "revenue_diff",
    "revenue_ci_low",
    "revenue_ci_high",
    "revenue_p_value",
    "revenue_diff_cuped",
    "revenue_cuped_ci_low",
    "revenue_cuped_ci_high",
)
_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;color:#222}
h1{font-size:1.6rem}h2{font-size:1.25rem;border-bottom:1px solid #ccc;margin-top:2.2rem}
h3{font-size:1.05rem}table{border-collapse:collapse;margin:.6rem 0;font-size:.85rem}
th,td{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.drift td,tr.failed td{background:#fde2e1}p.note{color:#555;font-size:.85rem}
p.empty{font-style:italic}img{max-width:100%}
"""


@dataclass(frozen=True)
class Table:
    """Rows of one report table: column names and one tuple per row."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    key: tuple[str, ...]


def _query(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> Table:
    cursor = con.execute(sql, list(params))
    columns = tuple(d[0] for d in cursor.description)
    return Table(columns, cursor.fetchall(), ())


def _keyed(table: Table, *key: str) -> Table:
    return Table(table.columns, table.rows, key)


def previous_manifest(export_dir: Path, run_date: str) -> dict[str, Any] | None:
    """The manifest of the latest published night before ``run_date``, if any."""
    if not export_dir.is_dir():
        return None
    earlier = sorted(
        p.name
        for p in export_dir.iterdir()
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", p.name)
        and p.name < run_date
        and (p / MANIFEST).is_file()
    )
    return json.loads((export_dir / earlier[-1] / MANIFEST).read_text()) if earlier else None


def audience_sizes(
    con: duckdb.DuckDBPyConnection,
    run_date: str,
    audiences: Sequence[Audience],
    previous: dict[str, Any] | None,
) -> Table:
    """Treated and control members per audience, and treated members the night before."""
    counts = {
        name: (treated, control)
        for name, treated, control in con.execute(
            "select audience, count(*) filter (where not is_control), "
            "count(*) filter (where is_control) from audiences.membership "
            "where run_date = ? group by audience",
            [run_date],
        ).fetchall()
    }
    before: dict[str, int] = {}
    if previous is not None:
        for entry in previous.get("files", []):
            if entry.get("profile") in (None, "generic") and entry["file"].endswith(".parquet"):
                before[entry["audience"]] = int(entry["rows"])
    rows = []
    for audience in sorted(audiences, key=lambda a: a.name):
        treated, control = counts.get(audience.name, (0, 0))
        earlier = before.get(audience.name)
        change = None if earlier is None else treated - earlier
        rows.append((audience.name, audience.channel, treated, control, earlier, change))
    columns = ("audience", "channel", "treated", "control", "previous_treated", "change")
    return Table(columns, rows, ("audience",))


#: The columns of marts.audience_lift a row is picked by.
LIFT_KEYS = ("audience", "channel", "window_days", "run_date", "window_closed")


def lift(con: duckdb.DuckDBPyConnection, run_date: str) -> Table | None:
    """Per audience, channel and window: the latest closed window's lift up to the run
    date, else the latest open one; None when ``marts.audience_lift`` is missing or has
    no row up to the run date.

    Raises:
        ValueError: The table lacks a column a row is picked by.
    """
    if not table_exists(con, "marts", "audience_lift"):
        return None
    existing = {
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'audience_lift'"
        ).fetchall()
    }
    missing = [c for c in LIFT_KEYS if c not in existing]
    if missing:
        raise ValueError(f"marts.audience_lift has no column {', '.join(missing)}")
    absent = [c for c in LIFT_COLUMNS if c not in existing]
    if absent:
        log.warning("marts.audience_lift has no %s; the report leaves them out", ", ".join(absent))
    columns = ", ".join(c for c in LIFT_COLUMNS if c in existing)
    table = _query(
        con,
        f"""
        select {columns} from (
            select {columns}, row_number() over (
                partition by audience, channel, window_days
                order by window_closed desc, run_date desc
            ) as pick
            from marts.audience_lift
            where run_date <= cast(? as date)
        ) where pick = 1
        order by audience, channel, window_days
        """,
        [run_date],
    )
    return _keyed(table, "audience", "channel", "window_days") if table.rows else None


def model_metrics(con: duckdb.DuckDBPyConnection, run_date: str) -> tuple[Table, Table]:
    """What each model reported tonight, and the models the night skipped."""
    metrics = Table(("model", "model_version", "metric", "value"), [], ())
    if table_exists(con, "ml", "model_metrics"):
        metrics = _query(
            con,
            "select model, model_version, metric, value from ml.model_metrics "
            "where run_date = ? order by model, metric",
            [run_date],
        )
    skips = Table(("model", "reason"), [], ())
    if table_exists(con, "ml", "model_skips"):
        skips = _query(
            con,
            "select model, reason from ml.model_skips where run_date = ? order by model",
            [run_date],
        )
    return _keyed(metrics, "model", "metric"), _keyed(skips, "model")


def drift(con: duckdb.DuckDBPyConnection, run_date: str) -> Table:
    """The PSI of every model feature and score tonight, largest first per model."""
    if not table_exists(con, "ml", "feature_drift"):
        columns = ("model", "model_version", "kind", "name", "psi", "threshold", "status")
        return Table(columns, [], ())
    table = _query(
        con,
        "select model, model_version, kind, name, psi, threshold, status from ml.feature_drift "
        "where run_date = ? order by model, psi desc nulls last, kind, name",
        [run_date],
    )
    return _keyed(table, "model", "kind", "name")


def loads(con: duckdb.DuckDBPyConnection) -> tuple[Table, Table, Table]:
    """Files and rows per source and entity, rejected rows per column, order outcomes."""
    empty = ((), [], ())
    files = Table(*empty)
    if table_exists(con, "raw", "_loads"):
        files = _query(
            con,
            """
            select source, entity, count(*) as files,
                count(*) filter (where status = 'failed') as failed_files,
                coalesce(sum(rows_read), 0) as rows_read,
                coalesce(sum(rows_loaded), 0) as rows_loaded,
                coalesce(sum(rows_rejected), 0) as rows_rejected,
                cast(max(extract_date) as varchar) as last_extract_date
            from raw._loads group by source, entity order by source, entity
            """,
        )
    rejects = Table(("source", "entity", "column_name", "rows"), [], ())
    if table_exists(con, "raw", "_rejects"):
        rejects = _query(
            con,
            "select source, entity, coalesce(column_name, '(line)') as column_name, "
            "count(*) as rows from raw._rejects group by all order by source, entity, 3",
        )
    outcomes = Table(("record_type", "outcome", "reason", "records"), [], ())
    if table_exists(con, "marts", "order_reconciliation"):
        outcomes = _query(
            con,
            "select record_type, outcome, coalesce(reason, '') as reason, count(*) as records "
            "from marts.order_reconciliation group by all order by 1, 2, 3",
        )
    return (
        _keyed(files, "source", "entity"),
        _keyed(rejects, "source", "entity", "column_name"),
        _keyed(outcomes, "record_type", "outcome", "reason"),
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:,.0f}" if abs(value) >= 1e5 else f"{value:.4g}"
    return str(value)


def _exact(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _table(table: Table, row_class: dict[int, str] | None = None) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = []
    for i, row in enumerate(table.rows):
        values = dict(zip(table.columns, row, strict=True))
        key = "|".join(_exact(values[k]) for k in table.key)
        cls = f' class="{row_class[i]}"' if row_class and i in row_class else ""
        cells = "".join(
            f'<td data-col="{html.escape(c)}" data-value="{html.escape(_exact(v))}"'
            + (' class="n"' if isinstance(v, int | float) and not isinstance(v, bool) else "")
            + f">{html.escape(_text(v))}</td>"
            for c, v in zip(table.columns, row, strict=True)
        )
        body.append(f'<tr data-key="{html.escape(key)}"{cls}>{cells}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _png(figure: Any, alt: str) -> str:
    """A figure as an ``<img>`` with its PNG inline; no timestamp or software tag."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _figure(height: float) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, max(height, 2.0)), layout="constrained")
    return figure, figure.add_subplot()


def _audiences_plot(sizes: Table) -> str:
    names = [r[0] for r in sizes.rows]
    if not names:
        return ""
    figure, axes = _figure(0.35 * len(names) + 1)
    y = list(range(len(names)))
    axes.barh([i + 0.2 for i in y], [r[2] for r in sizes.rows], 0.4, label="tonight")
    if any(r[4] is not None for r in sizes.rows):
        axes.barh([i - 0.2 for i in y], [r[4] or 0 for r in sizes.rows], 0.4, label="previous")
    axes.set_yticks(y, names)
    axes.invert_yaxis()
    axes.set_xlabel("treated members")
    axes.legend(loc="lower right")
    return _png(figure, "treated members per audience")


def _lift_plot(table: Table) -> str:
    at = {c: i for i, c in enumerate(table.columns)}
    needed = ("conversion_diff", "conversion_ci_low", "conversion_ci_high")
    if any(c not in at for c in needed):
        return ""
    rows = [r for r in table.rows if r[at["conversion_diff"]] is not None]
    if not rows:
        return ""
    figure, axes = _figure(0.35 * len(rows) + 1)
    for i, r in enumerate(rows):
        diff, low, high = (
            r[at[c]] for c in ("conversion_diff", "conversion_ci_low", "conversion_ci_high")
        )
        low = diff if low is None else low
        high = diff if high is None else high
        colour = "#1f77b4" if r[at["window_closed"]] else "#999999"
        axes.errorbar(diff, i, xerr=[[diff - low], [high - diff]], fmt="o", color=colour, capsize=3)
    axes.axvline(0, color="#444", linewidth=0.8)
    labels = [f"{r[at['audience']]} {r[at['channel']]} {r[at['window_days']]}d" for r in rows]
    axes.set_yticks(range(len(rows)), labels)
    axes.invert_yaxis()
    axes.set_xlabel("conversion, treated minus control (95% interval; grey: window open)")
    return _png(figure, "conversion lift per audience with confidence intervals")


def _drift_plot(table: Table) -> str:
    rows = sorted((r for r in table.rows if r[4] is not None), key=lambda r: -r[4])[:20]
    if not rows:
        return ""
    figure, axes = _figure(0.3 * len(rows) + 1)
    colours = ["#d62728" if r[6] == "drift" else "#1f77b4" for r in rows]
    axes.barh(range(len(rows)), [r[4] for r in rows], color=colours)
    axes.axvline(rows[0][5], color="#d62728", linestyle="--", linewidth=1, label="threshold")
    axes.set_yticks(range(len(rows)), [f"{r[0]}: {r[3]}" for r in rows])
    axes.invert_yaxis()
    axes.set_xlabel("population stability index against the training data")
    axes.legend(loc="lower right")
    return _png(figure, "largest PSI of the night")


def _rejects_plot(files: Table) -> str:
    rows = [r for r in files.rows if r[6]]
    if not rows:
        return ""
    figure, axes = _figure(0.3 * len(rows) + 1)
    axes.barh(range(len(rows)), [r[6] for r in rows], color="#d62728")
    axes.set_yticks(range(len(rows)), [f"{r[0]}/{r[1]}" for r in rows])
    axes.invert_yaxis()
    axes.set_xlabel("rows rejected")
    return _png(figure, "rejected rows per entity")


def render(
    con: duckdb.DuckDBPyConnection,
    run_date: str,
    audiences: Sequence[Audience],
    previous: dict[str, Any] | None = None,
) -> str:
    """The report of the night of ``run_date`` as one HTML document."""
    sizes = audience_sizes(con, run_date, audiences, previous)
    lifted = lift(con, run_date)
    metrics, skips = model_metrics(con, run_date)
    drifted = drift(con, run_date)
    files, rejects, outcomes = loads(con)
    before = (
        f"the change is against the night of {previous['run_date']}, as its manifest lists it"
        if previous
        else "there is no earlier published night to compare with"
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Night of {run_date}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Night of {run_date}</h1>",
        '<p class="note">Aggregates of the warehouse as this night left it: counts, '
        "metrics and distributions only, no person id, contact or delivered value.</p>",
        '<section id="audiences"><h2>Audiences</h2>',
        f'<p class="note">Members tonight (the control group is not exported); '
        f"{html.escape(before)}.</p>",
        _table(sizes),
        _audiences_plot(sizes),
        "</section>",
        '<section id="lift"><h2>Lift on the holdout</h2>',
    ]
    if lifted is None:
        parts.append(
            f'<p class="empty">{NO_LIFT}: marts.audience_lift has no outcome window up to '
            "this run date.</p>"
        )
    else:
        parts += [
            '<p class="note">Treated minus control, per audience, channel and outcome '
            "window: the latest closed window up to tonight (else the latest open one), "
            "with 95% intervals and p-values; revenue also with CUPED.</p>",
            _table(lifted),
            _lift_plot(lifted),
        ]
    drift_rows = {i: "drift" for i, r in enumerate(drifted.rows) if r[6] != "ok"}
    threshold = drifted.rows[0][5] if drifted.rows else None
    parts += [
        "</section>",
        '<section id="models"><h2>Models</h2>',
        _table(metrics) if metrics.rows else '<p class="empty">No model reported tonight.</p>',
        "<h3>Skipped</h3>",
        _table(skips) if skips.rows else '<p class="empty">No model was skipped.</p>',
        "</section>",
        '<section id="drift"><h2>Drift</h2>',
        f'<p class="note">Population stability index of each feature and score against '
        f"the training data of the version that scored tonight; threshold "
        f"{html.escape(_text(threshold))}. Rows at or above it are marked.</p>",
        _table(drifted, drift_rows)
        if drifted.rows
        else '<p class="empty">No drift measured tonight.</p>',
        _drift_plot(drifted),
        "</section>",
        '<section id="loads"><h2>Loads, rejects and reconciliation</h2>',
        "<h3>Files</h3>",
        _table(files),
        _rejects_plot(files),
        "<h3>Rejected rows</h3>",
        '<p class="note">Per column; the reasons and lines are in raw._rejects (they can '
        "quote delivered values).</p>",
        _table(rejects) if rejects.rows else '<p class="empty">No rejected row.</p>',
        "<h3>Orders and lines</h3>",
        _table(outcomes),
        "</section>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def write_report(
    con: duckdb.DuckDBPyConnection,
    staging: Path,
    run_date: str,
    audiences: Sequence[Audience],
    export_dir: Path,
    mode: int,
) -> dict[str, Any]:
    """Write ``report.html`` into the staged folder.

    Returns:
        Its manifest entry: file, format, sha256 and the sections.
    """
    path = staging / REPORT
    path.write_text(render(con, run_date, audiences, previous_manifest(export_dir, run_date)))
    os.chmod(path, mode)
    digest = sha256_file(path)
    return {"file": REPORT, "format": "html", "sha256": digest, "sections": list(SECTIONS)}


_EXTERNAL = re.compile(
    r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//)|@import|"""
    r"""url\(\s*["']?\s*(?:https?:)?//|<script|<link|<iframe|<object|<embed""",
    re.IGNORECASE,
)
_DATA_URI = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")
_TOKEN = re.compile(r"[A-Za-z0-9_\-]{12,}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


def audit_report(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Findings on a staged report: anything it would fetch, any person it names."""
    text = path.read_text()
    findings = []
    external = sorted({m.group(0) for m in _EXTERNAL.finditer(text)})
    if external:
        findings.append(f"{path.name}: refers to something outside the page: {external}")
    words = _DATA_URI.sub("", text)
    if _EMAIL.search(words):
        findings.append(f"{path.name}: holds an email address")
    tokens = sorted(set(_TOKEN.findall(words)))
    if tokens and table_exists(con, "marts", "dim_customers"):
        named = con.execute(
            "select count(*) from marts.dim_customers where person_id in (select unnest(?))",
            [tokens],
        ).fetchone()[0]
        if named:
            findings.append(f"{path.name}: names {named} people by their person id")
    return findings

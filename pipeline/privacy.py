"""The night's last step: erasure everywhere we keep data, and withdrawals in old files.

Marts, model inputs and exports leave erased people out from the night a request is
loaded (``int_persons_erased``); this step removes what is still kept of them:
earlier export folders (rewritten and republished atomically), the MLflow store's
artifacts, and then, in one warehouse transaction, raw rows, identity tables, earlier
``ml.*`` partitions and the person-id ledger, with ``meta.erasure_log`` written and
the requests' own identifiers scrubbed. The warehouse goes last: if anything before
fails, the requests are still pending and the next night starts again.

Consent withdrawn and email suppression reach the earlier folders the same way: each
person newly in ``marts.contact_withdrawals`` is taken out of the files of that
channel in every folder published before (``meta.withdrawals_applied`` remembers it).

A backfill (a run date before the latest delivery) sees an identity graph of an
earlier day, which may lack identifiers the person has since used: it erases nothing
itself and leaves the pending requests to the next night of the latest date.
"""

from __future__ import annotations

import logging
from typing import Any

from pipeline.errors import DataError
from warehouse.settings import Settings, load_settings

log = logging.getLogger(__name__)


def apply_erasures(run: dict[str, Any], settings: Settings | None = None) -> dict[str, Any]:
    """Erase the people of every pending request from everything the pipeline keeps,
    and take newly withdrawn people out of earlier folders of their channel.

    Args:
        run: The resolved run (``run_date``).
        settings: Where the warehouse, the exports and the MLflow store are.

    Returns:
        Counts only (requests completed, rows deleted per table, export folders and
        MLflow artifacts changed): nothing that identifies anyone, as this goes to
        Airflow's XCom and the logs.

    Raises:
        DataError: An artifact still names an erased person after scrubbing; the
            requests stay pending.
    """
    from ml.privacy import ScrubError, scrub_store
    from warehouse import db
    from warehouse.export.rewrite import remove_people
    from warehouse.privacy.erase import collect, purge
    from warehouse.privacy.withdraw import new_withdrawals, record_applied

    settings = settings or load_settings()
    run_date = run["run_date"]
    with db.connect(settings.duckdb_path) as con:
        (last,) = con.execute(
            "select max(extract_date) from raw._loads where status = 'loaded'"
        ).fetchone()
        erased = collect(con)
        withdrawn, pairs = new_withdrawals(con)
        if not erased and not pairs:
            return {"requests_completed": 0, "withdrawals_applied": 0}
        if last is not None and run_date < last.isoformat():
            log.warning(
                "%d erasure request(s) and %d withdrawal(s) pending: a backfill leaves them "
                "to the next night of the latest date (%s); tonight's files leave the "
                "people out all the same",
                len(erased.requests),
                len(pairs),
                last,
            )
            return {
                "requests_completed": 0,
                "requests_pending": len(erased.requests),
                "withdrawals_pending": len(pairs),
            }
        tokens: dict[str | None, set[str]] = {None: erased.export_tokens(), **withdrawn}
        folders = remove_people(settings.export_dir, tokens)
        mlflow: dict[str, int] = {}
        if erased:
            try:
                mlflow = scrub_store(settings.mlflow_tracking_uri, erased.person_ids)
            except ScrubError as exc:
                raise DataError(f"erasure not completed: {exc}") from exc
        record_applied(con, pairs, run_date)
        tables: dict[str, int] = {}
        if erased:
            elsewhere = {"export_folders": folders, "mlflow": mlflow}
            tables = purge(con, erased, run_date, elsewhere=elsewhere)
    summary = {
        "requests_completed": len(erased.requests),
        "rows_deleted": sum(tables.values()),
        "tables_changed": len(tables),
        "withdrawals_applied": len(pairs),
        "export_folders_rewritten": len(folders),
        **mlflow,
    }
    log.info("privacy: %s", summary)
    return summary

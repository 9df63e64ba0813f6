"""Load source extracts from the landing folder into DuckDB's ``raw`` schema.

Every file under ``$PZ_LANDING_DIR/<source>/<extract_date>/<entity>.<ext>`` that is new
or changed since the last load lands in ``raw.<source>__<entity>``, as delivered, with
the metadata columns ``_file``, ``_file_sha256``, ``_extract_date``, ``_loaded_at`` and
``_row_number``. DuckDB's own readers do the parsing; validation against the extract
contract (``warehouse/contract.py``) is set-based SQL, so no Python loop touches a row.

Guarantees:

* Idempotent: a file already loaded with the same sha256 is skipped; a file whose
  content changed replaces its earlier rows. Loading twice changes nothing. A file that
  failed is tried again on every load until it is fixed, so its failure keeps showing.
* Rows that break the contract (a value that does not cast to the contract type, a
  missing required value, a value outside the accepted set or below its minimum, a
  malformed CSV record, a broken JSON line) go to ``raw._rejects`` with file, line,
  column, reason and the raw text; the valid rows of the same file still load.
* ``raw._loads`` accounts for every file: ``rows_read = rows_loaded + rows_rejected``,
  and records what is off in a file that loaded anyway (repeated keys, timestamps after
  the extract date, schema drift against the entity's previous delivery) as warnings,
  also logged.
* Every CSV record is loaded or rejected with its physical line: each file's lines are
  counted apart from DuckDB's reader, and a file whose records do not account for them
  is re-read record by record (``csv_records``).
* Only regular files inside the landing folder, in ``YYYY-MM-DD`` folders, are read; a
  symbolic link or a path outside is refused without being opened.
* A file that cannot be used at all (unreadable, corrupt gzip, empty with no header,
  missing a required column, not in an extract-date folder) or whose reject rate is
  above the threshold fails: nothing from it is loaded, the failure is recorded in
  ``raw._loads`` with the reason, the other files still load, and the load reports it
  (``python -m warehouse.load`` exits with status 1).
* A file's rows, rejects and accounting commit together or not at all. Files of one
  entity and layout are read, validated and committed in batches (one DuckDB scan
  over many daily files); accounting, line numbers and reject rates stay per file,
  and a batch that meets an unreadable file is retried one file at a time.

Modules, in the order a load uses them: ``discover`` (walk the landing folder),
``columns`` (headers matched to the contract), ``batching`` (files grouped per scan),
``drift`` (columns against the previous delivery), ``read_csv`` / ``read_jsonl`` /
``read_parquet`` (the readers), ``csv_records`` (CSV records against physical lines),
``rules`` (contract rules as SQL), ``batch`` (stage, validate, write one batch),
``ledger`` (``raw._loads``, ``raw._rejects`` and the raw tables), ``retry`` (a failing
batch split file by file), ``landing`` (the whole load) and ``cli``. File identity is
``warehouse.files``.
"""

from warehouse.load.cli import main
from warehouse.load.landing import load_landing
from warehouse.load.results import FileResult, LoadSummary

__all__ = ["FileResult", "LoadSummary", "load_landing", "main"]

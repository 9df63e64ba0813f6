"""The per-deployment secret that person ids and erased identifiers are keyed with.

A person id is ``'p_'`` and 16 hex characters of a keyed hash, so nobody who knows a
customer id or an email can compute it without the secret. The secret is created once
per deployment, in a file only its owner can read (``PZ_PERSON_ID_KEY_FILE``, by
default ``$PZ_HOME/secrets/person_id.key``), never in git, the dbt project, compiled
SQL or the logs. Each load copies it into the warehouse table ``meta.person_id_key``,
where dbt reads it like any other relation; the warehouse file is owner-only too.

The keyed hash is ``sha256(key || sha256(key || value))`` in lowercase hex: the inner
digest cannot be extended without the key, and the construction is plain SQL on every
engine the dbt project targets (the macro ``keyed_hash`` writes the same expression).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

#: The warehouse table the key is copied to (one row, column ``key``).
KEY_TABLE = "meta.person_id_key"
_KEY_BYTES = 32


class PersonKeyError(RuntimeError):
    """The key file is unreadable, malformed, or not the key the warehouse was built with."""


def keyed_hash(value: str, key: str) -> str:
    """The keyed hash of ``value`` as the warehouse computes it (64 hex characters)."""
    inner = hashlib.sha256((key + value).encode()).hexdigest()
    return hashlib.sha256((key + inner).encode()).hexdigest()


def keyed_hash_sql(value_sql: str, key_sql: str) -> str:
    """The same keyed hash as a DuckDB SQL expression over two string expressions."""
    return f"sha256({key_sql} || sha256({key_sql} || {value_sql}))"


def ensure_key(path: Path) -> str:
    """Read the deployment's key, creating it (owner-only) the first time.

    Args:
        path: The key file (``Settings.person_id_key_file``).

    Returns:
        The key, 64 hex characters.

    Raises:
        PersonKeyError: The file exists but does not hold a key.
    """
    if path.exists():
        key = path.read_text().strip()
        if len(key) != 2 * _KEY_BYTES or any(c not in "0123456789abcdef" for c in key):
            raise PersonKeyError(f"{path}: not a person-id key (64 lowercase hex characters)")
        if path.stat().st_mode & 0o077:
            log.warning("%s can be read by others: chmod 600 it", path)
        return key
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_hex(_KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    log.warning("created a new person-id key in %s: back it up with the warehouse", path)
    return key


def fingerprint(key: str) -> str:
    """A short digest that names a key without revealing it (for messages)."""
    return hashlib.sha256(f"fingerprint:{key}".encode()).hexdigest()[:12]


def install_key(con: duckdb.DuckDBPyConnection, key: str) -> None:
    """Copy the key into ``meta.person_id_key``; refuse a different key than before.

    Person ids already issued were computed with the warehouse's key: swapping it
    silently would give every new person an id from another key and break erasure of
    re-delivered rows. A different key is an error that names both fingerprints.
    """
    con.execute("create schema if not exists meta")
    con.execute("create table if not exists meta.person_id_key (key varchar not null)")
    rows = [r[0] for r in con.execute("select key from meta.person_id_key").fetchall()]
    if rows == [key]:
        return
    if rows:
        raise PersonKeyError(
            f"the person-id key file (fingerprint {fingerprint(key)}) is not the key this "
            f"warehouse was built with (fingerprint {fingerprint(rows[0])}): restore the "
            "original key file (PZ_PERSON_ID_KEY_FILE)"
        )
    con.execute("insert into meta.person_id_key values (?)", [key])


def warehouse_key(con: duckdb.DuckDBPyConnection) -> str:
    """The key the warehouse holds (``meta.person_id_key``)."""
    row = con.execute("select key from meta.person_id_key").fetchone()
    if row is None:
        raise PersonKeyError("meta.person_id_key is empty: load the extracts first")
    return row[0]

"""The person-id key, the keyed hash, and rewriting published folders without people."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import duckdb
import pytest

from warehouse.export.rewrite import remove_people
from warehouse.privacy.key import (
    PersonKeyError,
    ensure_key,
    install_key,
    keyed_hash,
    keyed_hash_sql,
)


def test_the_key_is_created_once_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "person_id.key"
    key = ensure_key(path)
    assert len(key) == 64 and set(key) <= set("0123456789abcdef")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert ensure_key(path) == key


def test_a_malformed_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "person_id.key"
    path.write_text("not a key\n")
    with pytest.raises(PersonKeyError, match="not a person-id key"):
        ensure_key(path)


def test_the_warehouse_refuses_another_key(tmp_path: Path) -> None:
    """Ids already issued were computed with the first key: a swap is an error."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    install_key(con, "a" * 64)
    install_key(con, "a" * 64)
    with pytest.raises(PersonKeyError, match="not the key this warehouse was built with"):
        install_key(con, "b" * 64)
    assert con.execute("select key from meta.person_id_key").fetchall() == [("a" * 64,)]


@pytest.mark.parametrize("value", ["customer_id:C1", "email:ann@x.example", "", "é ü"])
def test_python_and_duckdb_compute_the_same_keyed_hash(value: str) -> None:
    key = "0f" * 32
    expected = keyed_hash(value, key)
    got = duckdb.execute(
        f"select {keyed_hash_sql('$value', '$key')}", {"value": value, "key": key}
    ).fetchone()[0]
    assert got == expected and len(got) == 64
    assert keyed_hash(value, key) != keyed_hash(value, "1f" * 32)


def _publish(export_dir: Path, run_date: str, files: dict[str, tuple[str, list[str]]]) -> Path:
    """A published folder (version and link) with CSV files: name -> (channel, lines)."""
    from warehouse.export.publish import publish_exports

    staging = export_dir / f".tmp-{run_date}-abcd"
    staging.mkdir(parents=True)
    entries = []
    for name, (channel, lines) in files.items():
        path = staging / name
        path.write_text("\n".join(lines) + "\n")
        entries.append(
            {
                "file": name,
                "channel": channel,
                "format": "csv",
                "rows": len(lines) - 1,
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            }
        )
    (staging / ".manifest.pending.json").write_text(
        json.dumps({"run_date": run_date, "files": entries})
    )
    return publish_exports(staging, export_dir)


def test_remove_people_rewrites_only_what_holds_them(tmp_path: Path) -> None:
    """Erased tokens leave every file; a channel's tokens leave only that channel's files;
    the manifest's counts and digests follow, and a folder without them is untouched."""
    export_dir = tmp_path / "exports"
    first = _publish(
        export_dir,
        "2026-06-01",
        {
            "mail.csv": ("email", ["person_id,email", "p_1,a@x", "p_2,b@x", "p_3,c@x"]),
            "ads.csv": ("ads", ["Email,Phone", "h1,k1", "h2,k2"]),
        },
    )
    other = _publish(
        export_dir, "2026-06-02", {"mail.csv": ("email", ["person_id,email", "p_9,z@x"])}
    )
    untouched = other.resolve()
    changed = remove_people(export_dir, {None: {"p_1", "h2"}, "email": {"p_3"}, "sms": {"p_2"}})
    assert changed == {"2026-06-01": 3}
    assert (first / "mail.csv").read_text() == "person_id,email\np_2,b@x\n"
    assert (first / "ads.csv").read_text() == "Email,Phone\nh1,k1\n"
    manifest = json.loads((first / "manifest.json").read_text())
    for entry in manifest["files"]:
        assert entry["sha256"] == hashlib.sha256((first / entry["file"]).read_bytes()).hexdigest()
    assert {e["file"]: e["rows"] for e in manifest["files"]} == {"mail.csv": 1, "ads.csv": 1}
    assert manifest["rewrites"][0]["rows_removed"] == 3
    assert other.resolve() == untouched
    assert stat.S_IMODE((first / "mail.csv").stat().st_mode) == 0o600
    assert not [p for p in export_dir.iterdir() if p.name.startswith(".tmp-")]

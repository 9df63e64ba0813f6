"""Export write → audit → publish on a small hand-made warehouse with planted answers."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from warehouse.audiences import Audience, load_audiences
from warehouse.export import (
    MANIFEST,
    PENDING_MANIFEST,
    AuditError,
    audit_exports,
    file_columns,
    publish_exports,
    stage_exports,
)
from warehouse.export.layout import listed_files
from warehouse.phones import normalize_phone
from warehouse.settings import load_settings

RUN_DATE = "2026-03-31"
REPO = Path(__file__).resolve().parents[3]


# --- the independent reference for ads-file hashing ---------------------------------------
# Written here in Python, not shared with the warehouse's SQL, so a mistake in either side
# shows up as a mismatch.


def normalize_email(email: str | None) -> str | None:
    """Email as hashed for ad platforms: surrounding whitespace removed, lower-cased."""
    if email is None:
        return None
    value = email.strip().lower()
    return value or None


def normalize_phone_e164(phone: str | None) -> str | None:
    """Phone in E.164 as hashed for ad platforms (the project's one reading of a phone).

    No country is given: a national number cannot be made E.164 here.
    """
    return normalize_phone(phone).e164


def sha256_hex(value: str | None) -> str | None:
    """Lowercase hex SHA-256 of the UTF-8 value (None stays None)."""
    return None if value is None else hashlib.sha256(value.encode("utf-8")).hexdigest()


def hashed_email(email: str | None) -> str | None:
    """The ``Email`` value of an ads file for this email."""
    return sha256_hex(normalize_email(email))


def hashed_phone(phone: str | None) -> str | None:
    """The ``Phone`` value of an ads file for this phone."""
    return sha256_hex(normalize_phone_e164(phone))


NEWS = Audience(
    name="news",
    description="Email audience.",
    channel="email",
    priority=1,
    rule="true",
    reason="'rule'",
    columns=("person_id", "email", "first_name"),
)
PROMO = Audience(
    name="promo",
    description="Second email audience.",
    channel="email",
    priority=2,
    rule="true",
    reason="'rule'",
    columns=("person_id", "email"),
)
TEXTS = Audience(
    name="texts",
    description="SMS audience.",
    channel="sms",
    priority=1,
    rule="true",
    reason="'rule'",
    columns=("person_id", "phone"),
)
SEED = Audience(
    name="seed",
    description="Ads audience.",
    channel="ads",
    priority=1,
    rule="true",
    reason="'rule'",
    columns=("email_sha256", "phone_sha256"),
)
AUDIENCES = [NEWS, PROMO, SEED, TEXTS]

# person_id, customer_id, email, phone, email, sms, ads consent
PEOPLE = [
    ("p1", "c1", "Ann@Example.com ", "+447700900001", True, True, True),
    ("p2", "c2", "bob@example.com", "+447700900002", True, False, True),
    ("p3", "c3", "cy@example.com", None, True, True, True),
    ("p4", "c4", "dee@example.com", "+447700900004", False, False, False),
]


def build_warehouse(path: Path) -> Path:
    """A warehouse whose audiences are correct: p1..p3 treated where consented."""
    with duckdb.connect(str(path)) as con:
        con.execute(
            """
            create schema marts; create schema staging; create schema audiences;
            create schema ml;
            create table marts.dim_customers (
                person_id varchar, customer_id varchar, email varchar, phone varchar,
                first_name varchar, has_email_consent boolean, has_sms_consent boolean,
                has_ads_consent boolean
            );
            create table staging.stg_privacy__erasure_requests (
                request_id varchar, customer_id varchar, email varchar,
                requested_at timestamp
            );
            create table marts.email_suppressions (
                person_id varchar, reason varchar, suppressed_at timestamp
            );
            insert into marts.email_suppressions values ('p9', 'spam_report', '2026-03-01');
            create table audiences.membership (
                run_date date, audience varchar, person_id varchar, is_control boolean,
                reason varchar
            );
            create table ml.churn_scores (
                run_date date, person_id varchar, churn_probability double,
                risk_band varchar, top_reasons varchar, model_version varchar
            );
            create table ml.customer_segments (run_date date, person_id varchar);
            create table ml.recommendations (run_date date, person_id varchar);
            insert into ml.churn_scores values
                ('2026-03-31', 'p1', 0.5, 'high', '', 'churn-xgb/3'),
                ('2026-03-30', 'p1', 0.5, 'high', '', 'churn-xgb/2');
            insert into staging.stg_privacy__erasure_requests values
                ('r1', 'c9', 'gone@example.com', '2026-03-01');
            """
        )
        for p in PEOPLE:
            con.execute(
                "insert into marts.dim_customers values (?, ?, ?, ?, 'N', ?, ?, ?)",
                [p[0], p[1], p[2], p[3], p[4], p[5], p[6]],
            )
        for audience in AUDIENCES:
            cols = {
                "email": "d.email",
                "first_name": "d.first_name",
                "phone": "d.phone",
                "email_sha256": "sha256(lower(trim(d.email)))",
                "phone_sha256": "sha256(d.phone)",
            }
            select = ", ".join(f"{cols[c]} as {c}" for c in audience.columns if c != "person_id")
            consent = f"has_{audience.channel}_consent"
            con.execute(
                f"""
                create table audiences.aud_{audience.name} as
                select cast('{RUN_DATE}' as date) as run_date, d.person_id, {select},
                    'rule' as reason, d.person_id = 'p3' as is_control
                from marts.dim_customers d where d.{consent}
                """
            )
            con.execute(
                f"""
                insert into audiences.membership
                select run_date, '{audience.name}', person_id, is_control, reason
                from audiences.aud_{audience.name}
                """
            )
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return build_warehouse(tmp_path / "warehouse.duckdb")


def stage(warehouse: Path, export_dir: Path, **kwargs) -> Path:
    """The test audiences of RUN_DATE, written to a staging folder (not audited)."""
    return stage_exports(warehouse, export_dir, RUN_DATE, audiences=AUDIENCES, **kwargs)


def run_all(warehouse: Path, export_dir: Path) -> Path:
    staging = stage(warehouse, export_dir, generated_at="2026-04-01T03:00:00+00:00")
    audit_exports(warehouse, staging, email_frequency_cap=2, audiences=AUDIENCES)
    return publish_exports(staging, export_dir)


# --- hashing normalization -------------------------------------------------------------


def test_email_hash_matches_published_example() -> None:
    """TikTok's customer-file guide lists janedoe@gmail.com with this SHA-256."""
    expected = "d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69"
    assert hashed_email("janedoe@gmail.com") == expected
    assert hashed_email("  JaneDoe@Gmail.COM\t") == expected


def test_email_hash_known_values() -> None:
    """Values checked with `printf %s VALUE | sha256sum`, not with this code."""
    assert normalize_email("  Test@Example.COM ") == "test@example.com"
    assert hashed_email("Test@Example.com") == (
        "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
    )
    assert hashed_email("   ") is None
    assert hashed_email(None) is None


@pytest.mark.parametrize(
    ("raw", "e164", "digest"),
    [
        (
            "+1 212-565-0000",
            "+12125650000",
            "d360a79e746532a6a1e7b8164440b04cdd8797e23126f7a4de7a4b67fdcdba98",
        ),
        (
            "+44 20 7031 3000",
            "+442070313000",
            "f3d7e96c73fb0de1b66acfce541d7af758fbd4f3fa3af0ea4e10110000d3625e",
        ),
        (
            "0044 (20) 7031-3000",
            "+442070313000",
            "f3d7e96c73fb0de1b66acfce541d7af758fbd4f3fa3af0ea4e10110000d3625e",
        ),
        (
            "+1 (657) 777-0000",
            "+16577770000",
            "a6e82c2f4091baff57a4f33d01efb65bfbeacbbfbcfaa9d0ff9f57d28d78fedb",
        ),
    ],
)
def test_phone_hash_is_sha256_of_e164(raw: str, e164: str, digest: str) -> None:
    """E.164 keeps the '+' (Google Customer Match); digests from sha256sum."""
    assert normalize_phone_e164(raw) == e164
    assert hashed_phone(raw) == digest


@pytest.mark.parametrize("raw", [None, "", "020 7031 3000", "+12", "+0123456789"])
def test_phone_without_country_code_is_not_hashed(raw: str | None) -> None:
    assert hashed_phone(raw) is None


def test_ads_headers_follow_customer_match() -> None:
    assert file_columns(SEED) == ["Email", "Phone"]
    assert file_columns(NEWS) == ["person_id", "email", "first_name"]


# --- write, audit, publish ---------------------------------------------------------------


def test_publish_writes_treated_rows_and_manifest(warehouse: Path, tmp_path: Path) -> None:
    export_dir = tmp_path / "exports"
    final = run_all(warehouse, export_dir)
    assert final == export_dir / RUN_DATE
    assert sorted(p.name for p in final.iterdir()) == sorted(
        [MANIFEST, "person_id_merges.csv", "person_id_merges.parquet", "report.html"]
        + [f"{a.name}.{f}" for a in AUDIENCES for f in ("csv", "parquet")]
    )
    manifest = json.loads((final / MANIFEST).read_text())
    assert manifest["run_date"] == RUN_DATE
    assert manifest["generated_at"] == "2026-04-01T03:00:00+00:00"
    # Only ml tables with run_date and model_version columns carry versions.
    assert manifest["model_versions"] == {"churn_scores": ["churn-xgb/3"]}
    by_file = {f["file"]: f for f in manifest["files"]}
    # p3 is the control group everywhere; p4 has no consent at all.
    assert by_file["news.csv"]["rows"] == 2
    assert by_file["texts.parquet"]["rows"] == 1
    assert by_file["seed.parquet"]["columns"] == ["Email", "Phone"]
    for name, entry in by_file.items():
        assert hashlib.sha256((final / name).read_bytes()).hexdigest() == entry["sha256"]
    lines = (final / "news.csv").read_text().splitlines()
    assert lines == ["person_id,email,first_name", "p1,Ann@Example.com ,N", "p2,bob@example.com,N"]
    ads = (final / "seed.csv").read_text()
    assert "@" not in ads and "+44" not in ads
    assert hashed_email("ann@example.com") in ads
    assert hashed_phone("+447700900001") in ads
    assert not list(export_dir.glob(".tmp-*")) and not list(export_dir.glob(".old-*"))


def test_rerun_is_byte_identical(warehouse: Path, tmp_path: Path) -> None:
    """A re-run replaces the date's folder (a new version) with the same bytes."""
    export_dir = tmp_path / "exports"
    first = {
        p.name: p.read_bytes()
        for p in run_all(warehouse, export_dir).iterdir()
        if p.name != MANIFEST
    }
    second = {
        p.name: p.read_bytes()
        for p in run_all(warehouse, export_dir).iterdir()
        if p.name != MANIFEST
    }
    assert first == second
    manifest = json.loads((export_dir / RUN_DATE / MANIFEST).read_text())
    assert {f["file"]: f["sha256"] for f in listed_files(manifest)} == {
        n: hashlib.sha256(b).hexdigest() for n, b in first.items()
    }
    assert [p.name for p in (export_dir / ".versions").iterdir()] == [
        (export_dir / RUN_DATE).resolve().name
    ], "the replaced version is deleted"


def _published(export_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (export_dir / RUN_DATE).iterdir()}


@pytest.mark.parametrize(
    ("sabotage", "finding"),
    [
        (
            "insert into audiences.aud_news values "
            "('2026-03-31', 'p4', 'dee@example.com', 'N', 'rule', false)",
            "without email consent",
        ),
        (
            "insert into audiences.aud_texts values "
            "('2026-03-31', 'p9', '+15550001111', 'x', false)",
            "not in marts.dim_customers",
        ),
        (
            "update marts.dim_customers set has_ads_consent = false where person_id = 'p2'",
            "match no person with ads consent",
        ),
        (
            "update staging.stg_privacy__erasure_requests set customer_id = 'c1'",
            "erasure request",
        ),
        (
            "update marts.email_suppressions set person_id = 'p2'",
            "news.csv: 1 rows of people suppressed from email",
        ),
        ("update audiences.aud_promo set is_control = false", "audiences.membership has"),
    ],
)
def test_failed_audit_publishes_nothing(
    warehouse: Path, tmp_path: Path, sabotage: str, finding: str
) -> None:
    export_dir = tmp_path / "exports"
    run_all(warehouse, export_dir)
    before = _published(export_dir)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(sabotage)
    staging = stage(warehouse, export_dir)
    with pytest.raises(AuditError) as failed:
        audit_exports(warehouse, staging, email_frequency_cap=2, audiences=AUDIENCES)
    assert any(finding in f for f in failed.value.findings), failed.value.findings
    assert _published(export_dir) == before
    assert failed.value.staging_dir == staging and staging.is_dir()


def test_frequency_cap_is_audited(warehouse: Path, tmp_path: Path) -> None:
    """p1 and p2 are in two email audiences: fine under a cap of 2, not under 1."""
    staging = stage(warehouse, tmp_path / "exports")
    audit_exports(warehouse, staging, email_frequency_cap=2, audiences=AUDIENCES)
    with pytest.raises(AuditError, match="2 people are in more than 1 email audiences"):
        audit_exports(warehouse, staging, email_frequency_cap=1, audiences=AUDIENCES)


def test_plaintext_pii_in_ads_file_fails_the_audit(warehouse: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update audiences.aud_seed set email_sha256 = 'ann@example.com'")
        con.execute("update audiences.aud_seed set phone_sha256 = '+44 7700 900001'")
    staging = stage(warehouse, tmp_path / "exports")
    with pytest.raises(AuditError) as failed:
        audit_exports(warehouse, staging, audiences=AUDIENCES)
    text = "\n".join(failed.value.findings)
    assert "plaintext email or phone values in Email" in text
    assert "plaintext email or phone values in Phone" in text
    assert not (tmp_path / "exports" / RUN_DATE).exists()


def test_tampered_or_missing_file_fails_the_audit(warehouse: Path, tmp_path: Path) -> None:
    staging = stage(warehouse, tmp_path / "exports")
    (staging / "promo.csv").unlink()
    (staging / "news.csv").write_text("person_id,email,first_name\np1,x@example.com,N\n")
    with pytest.raises(AuditError) as failed:
        audit_exports(warehouse, staging, audiences=AUDIENCES)
    text = "\n".join(failed.value.findings)
    assert "promo.csv: missing" in text
    assert "news.csv: not as listed in the manifest" in text


def test_rerun_cleans_stale_staging(warehouse: Path, tmp_path: Path) -> None:
    export_dir = tmp_path / "exports"
    stale = stage(warehouse, export_dir)
    run_all(warehouse, export_dir)
    assert not stale.exists()


def test_declared_audiences_are_complete(dbt_manifest: Path) -> None:
    """The analysts' declaration file parses and every audience has a model and exposure."""
    audiences = load_audiences()
    names = {a.name for a in audiences}
    assert {
        "cart_abandoners",
        "interested_shoppers",
        "vip",
        "win_back",
        "high_churn_risk",
        "new_customer_onboarding",
        "product_recommendations",
    } <= names
    folder = Path(__file__).resolve().parents[3] / "dbt_project" / "models" / "audiences"
    exposures = (folder / "_audiences__exposures.yml").read_text()
    for audience in audiences:
        assert (folder / f"{audience.model}.sql").is_file()
        assert f"ref('{audience.model}')" in exposures
        if audience.channel == "ads":
            # Hashes only, and the country and postal code Google asks for in plain text.
            plain = {c for c in audience.columns if not c.endswith("_sha256")}
            assert plain <= {"country", "postal_code"}, audience.name


# --- safe CSV ------------------------------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+2",
    "\r=1+2",
    '=1+2";=1+2',
]


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("payload", FORMULAS)
def test_formula_cells_are_neutralised_in_csv_only(
    warehouse: Path, tmp_path: Path, payload: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Regression: first names that spreadsheets run as formulas reached the CSVs verbatim.

    OWASP's CSV injection advice: a text cell starting with = + - @ tab or CR gets a
    leading single quote; the Parquet file keeps the value as it is.
    """
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update audiences.aud_news set first_name = ? where person_id = 'p1'", [payload]
        )
    with caplog.at_level("WARNING", logger="warehouse.export.stage"):
        staging = stage(warehouse, tmp_path / "exports")
    assert "news.csv: 1 text cells would run as spreadsheet formulas" in caplog.text
    audit_exports(warehouse, staging, email_frequency_cap=2, audiences=AUDIENCES)
    by_person = {r["person_id"]: r for r in _csv_rows(staging / "news.csv")}
    assert by_person["p1"]["first_name"] == "'" + payload
    assert by_person["p2"]["first_name"] == "N"
    parquet = duckdb.sql(
        f"select first_name from read_parquet('{staging / 'news.parquet'}') where person_id = 'p1'"
    ).fetchall()[0][0]
    assert parquet == payload


def test_validated_fields_stay_machine_readable(warehouse: Path, tmp_path: Path) -> None:
    """E.164 phones (a leading +), plain numbers, ids and hashes are written as they are."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update audiences.aud_news set first_name = '-42' where person_id = 'p1'")
    staging = stage(warehouse, tmp_path / "exports")
    audit_exports(warehouse, staging, email_frequency_cap=2, audiences=AUDIENCES)
    assert _csv_rows(staging / "texts.csv") == [{"person_id": "p1", "phone": "+447700900001"}]
    assert {r["person_id"]: r["first_name"] for r in _csv_rows(staging / "news.csv")} == {
        "p1": "-42",
        "p2": "N",
    }
    seed = _csv_rows(staging / "seed.csv")
    assert hashed_email("ann@example.com") in {r["Email"] for r in seed}


def test_audit_fails_a_csv_with_a_formula_cell(warehouse: Path, tmp_path: Path) -> None:
    """A CSV whose text cell would run as a formula fails, even when listed in the manifest."""
    staging = stage(warehouse, tmp_path / "exports")
    news = staging / "news.csv"
    news.write_text(
        'person_id,email,first_name\np1,Ann@Example.com ,"=HYPERLINK(""http://x"",""y"")"\n'
        "p2,bob@example.com,N\n"
    )
    pending = staging / PENDING_MANIFEST
    manifest = json.loads(pending.read_text())
    for entry in manifest["files"]:
        if entry["file"] == "news.csv":
            entry["sha256"] = hashlib.sha256(news.read_bytes()).hexdigest()
    pending.write_text(json.dumps(manifest))
    with pytest.raises(AuditError) as failed:
        audit_exports(warehouse, staging, email_frequency_cap=2, audiences=AUDIENCES)
    assert failed.value.findings == [
        "news.csv: 1 cells in first_name would run as spreadsheet formulas"
    ]


# --- permissions ---------------------------------------------------------------------------


def _modes(root: Path) -> dict[str, int]:
    """Permission bits of every file and folder below root (links not followed)."""
    found = {".": stat.S_IMODE(root.lstat().st_mode)}
    for path in root.rglob("*"):
        if not path.is_symlink():
            found[path.relative_to(root).as_posix()] = stat.S_IMODE(path.lstat().st_mode)
    return found


def test_exports_are_owner_only_by_default(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: export files with plain-text emails were created 0644 in 0755 folders."""
    monkeypatch.delenv("PZ_EXPORT_FILE_MODE", raising=False)
    export_dir = tmp_path / "exports"
    umask = os.umask(0o022)
    try:
        staging = stage(warehouse, export_dir)
    finally:
        os.umask(umask)
    assert set(_modes(staging).values()) == {0o700, 0o600}
    assert _modes(staging)["."] == 0o700
    audit_exports(warehouse, staging, audiences=AUDIENCES)
    publish_exports(staging, export_dir)
    modes = _modes(export_dir)
    folders = {k for k in modes if (export_dir / k).is_dir()}
    assert {modes[k] for k in folders} == {0o700}
    assert {modes[k] for k in set(modes) - folders} == {0o600}
    # the manifest, 2 files per audience, the merge ledger in both formats, the report
    assert len(modes) - len(folders) == 1 + 2 * len(AUDIENCES) + 2 + 1, modes


def test_export_file_mode_is_configurable(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PZ_EXPORT_FILE_MODE=640 gives 0640 files and 0750 folders, whatever the umask."""
    monkeypatch.setenv("PZ_EXPORT_FILE_MODE", "640")
    umask = os.umask(0o077)
    try:
        final = run_all(warehouse, tmp_path / "exports")
    finally:
        os.umask(umask)
    version = final.resolve()
    assert stat.S_IMODE(version.stat().st_mode) == 0o750
    assert {stat.S_IMODE(p.stat().st_mode) for p in version.iterdir()} == {0o640}


@pytest.mark.parametrize("value", ["400", "1777", "rw-------", "8"])
def test_export_file_mode_must_be_owner_readable_octal(value: str) -> None:
    with pytest.raises(ValueError, match="PZ_EXPORT_FILE_MODE"):
        load_settings({"PZ_EXPORT_FILE_MODE": value})


# --- atomic publish --------------------------------------------------------------------------

#: Publishes a staged folder, killing itself with SIGKILL just before its n-th change to
#: the file system (argv: staging, export_dir, n).
KILL_AT_STEP = """
import os, shutil, signal, sys
steps = 0
def counted(change):
    def run(*args, **kwargs):
        global steps
        steps += 1
        if steps == int(sys.argv[3]):
            os.kill(os.getpid(), signal.SIGKILL)
        return change(*args, **kwargs)
    return run
for name in ("rename", "replace", "symlink", "unlink", "rmdir", "mkdir", "chmod"):
    setattr(os, name, counted(getattr(os, name)))
import warehouse.export.publish as publish
if hasattr(publish, "_exchange"):
    publish._exchange = counted(publish._exchange)
publish.publish_exports(sys.argv[1], sys.argv[2])
"""

SMALL = [NEWS, TEXTS]


def _generation(folder: Path) -> str:
    """generated_at of a complete published folder; fails if anything is missing or torn."""
    manifest = json.loads((folder / MANIFEST).read_text())
    listed = {f["file"]: f["sha256"] for f in listed_files(manifest)}
    assert {p.name for p in folder.iterdir()} == set(listed) | {MANIFEST}
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    return manifest["generated_at"]


def _as_real_folder(export_dir: Path) -> None:
    """Turn the published link into a plain folder, as an earlier release published it."""
    final = export_dir / RUN_DATE
    if not final.is_symlink():
        return
    version = final.resolve()
    final.unlink()
    shutil.copytree(version, final)
    shutil.rmtree(export_dir / ".versions")


@pytest.mark.slow
@pytest.mark.parametrize("before", ["nothing", "link", "real folder"])
def test_publish_killed_at_any_step_leaves_old_or_new(
    warehouse: Path, tmp_path: Path, before: str
) -> None:
    """Regression: a crash between publish's two renames left no exports/<run_date>.

    Publish runs in a subprocess that kills itself with SIGKILL before each of its
    changes to the file system in turn. After every kill the date's folder is the old one
    or the new one, complete; the next run publishes and leaves no leftover behind.
    """
    template = tmp_path / "template"
    if before != "nothing":
        staged = stage_exports(warehouse, template, RUN_DATE, generated_at="old", audiences=SMALL)
        publish_exports(staged, template)
        if before == "real folder":
            _as_real_folder(template)
    new = stage_exports(warehouse, template, RUN_DATE, generated_at="new", audiences=SMALL)
    step, kills = 1, 0
    while True:
        export_dir = tmp_path / f"kill-{step}"
        shutil.copytree(template, export_dir, symlinks=True)
        child = subprocess.run(
            [sys.executable, "-c", KILL_AT_STEP, str(export_dir / new.name), str(export_dir),
             str(step)],
            cwd=REPO, capture_output=True, text=True,
        )  # fmt: skip
        final = export_dir / RUN_DATE
        if child.returncode == 0:
            assert _generation(final) == "new"
            break
        assert child.returncode == -9, child.stderr
        kills += 1
        if final.exists():
            assert _generation(final) in ({"new"} if before == "nothing" else {"old", "new"})
        else:
            assert before == "nothing", f"no {RUN_DATE} folder after a kill at step {step}"
        again = stage_exports(warehouse, export_dir, RUN_DATE, generated_at="next", audiences=SMALL)
        publish_exports(again, export_dir)
        assert _generation(final) == "next"
        hidden = [p.name for p in export_dir.iterdir() if p.name.startswith(".")]
        assert set(hidden) <= {".versions"}, f"leftovers after a kill at step {step}: {hidden}"
        versions = export_dir / ".versions"
        if versions.exists():
            assert [p.name for p in versions.iterdir()] == [final.resolve().name]
        shutil.rmtree(export_dir)
        step += 1
    assert kills >= 5, f"publish made only {kills} changes"


def test_leftovers_of_interrupted_runs_are_removed(warehouse: Path, tmp_path: Path) -> None:
    """Staged copies, links and versions nothing points to (full PII) go on the next run."""
    export_dir = tmp_path / "exports"
    run_all(warehouse, export_dir)
    (export_dir / ".tmp-2026-01-01-0000aaaa").mkdir()
    (export_dir / ".old-2026-01-01-0000aaaa").mkdir()
    (export_dir / ".versions" / "2026-01-01-0000aaaa").mkdir()
    (export_dir / ".link-2026-01-01-0000aaaa").symlink_to(".versions/2026-01-01-0000aaaa")
    stage(warehouse, export_dir)
    assert sorted(p.name for p in export_dir.iterdir() if p.name != ".versions") == [
        p.name for p in export_dir.glob(f".tmp-{RUN_DATE}-*")
    ] + [RUN_DATE]
    assert [p.name for p in (export_dir / ".versions").iterdir()] == [
        (export_dir / RUN_DATE).resolve().name
    ]

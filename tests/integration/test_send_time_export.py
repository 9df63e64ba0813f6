"""The preferred send hour reaches the email audience files, audited, from the warehouse.

Builds the night's audiences phase over the shared sample warehouse, writes and audits
the exports (not published) and reads the staged files back.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from pipeline.dbt import DBT_PHASES
from pipeline.export import stage_and_audit
from tests.integration.conftest import END, dbt
from warehouse.audiences import load_audiences
from warehouse.settings import Settings, load_settings

pytestmark = pytest.mark.integration

RUN_DATE = END.isoformat()


@pytest.fixture(scope="module")
def staged(
    built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, Path]:
    settings = load_settings({"PZ_HOME": str(tmp_path_factory.mktemp("pz_send_time"))})
    shutil.copyfile(built_warehouse, settings.duckdb_path)
    target = ["--target-path", str(settings.dbt_target_dir)]
    dbt(["build", *DBT_PHASES["audiences"], *target], settings.duckdb_path, END)
    result = stage_and_audit(RUN_DATE, "2026-07-01T03:00:00+00:00", settings)
    return settings, Path(result["staging_dir"])


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_email_files_carry_each_member_s_send_hour_and_time_zone(staged) -> None:
    settings, folder = staged
    audiences = load_audiences(settings.dbt_target_dir / "manifest.json")
    email = [a.name for a in audiences if a.channel == "email"]
    assert email, "the project declares no email audience"
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        send_times = {
            person: (str(hour), zone)
            for person, hour, zone in con.execute(
                "select person_id, preferred_send_hour, time_zone from marts.customer_send_times"
            ).fetchall()
        }
    checked = 0
    for name in email:
        rows = _read(folder / f"{name}.csv")
        for row in rows:
            assert (row["preferred_send_hour"], row["send_time_zone"]) == send_times[
                row["person_id"]
            ]
            assert 0 <= int(row["preferred_send_hour"]) <= 23
            checked += 1
        klaviyo = folder / f"{name}.klaviyo.csv"
        if klaviyo.exists():
            header = _read(klaviyo)[0].keys() if rows else []
            assert not rows or {"preferred_send_hour", "send_time_zone"} <= set(header)
    assert checked > 100
    for audience in audiences:
        if audience.channel != "email":
            header = (folder / f"{audience.name}.csv").read_text().splitlines()[0]
            assert "preferred_send_hour" not in header

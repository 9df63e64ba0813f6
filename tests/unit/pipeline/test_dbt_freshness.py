"""Source freshness: warnings reported, errors fail the night without retry."""

from __future__ import annotations

from pipeline.dbt import freshness_command, freshness_findings
from warehouse.settings import load_settings


def result(source: str, status: str, age: float | None = 3600.0) -> dict:
    return {
        "unique_id": f"source.personalization.raw.{source}",
        "status": status,
        "max_loaded_at_time_ago_in_s": age,
    }


def test_warn_and_error_are_told_apart_with_the_age_of_the_last_load() -> None:
    warnings, errors = freshness_findings(
        {
            "results": [
                result("shop__orders", "pass"),
                result("web__events", "warn", 30 * 3600),
                result("crm__customers", "error", 80 * 3600),
                {**result("pos__transactions", "runtime error", None), "error": "no rows"},
            ]
        }
    )
    assert errors == ["raw.crm__customers: last load 80 h ago, past its error threshold"]
    assert warnings[0] == "raw.web__events: last load 30 h ago, past its warn threshold"
    assert warnings[1].startswith("raw.pos__transactions: freshness not checked (no rows")
    assert freshness_findings({"results": [result("shop__orders", "pass")]}) == ([], [])


def test_the_freshness_command_writes_where_the_step_reads() -> None:
    settings = load_settings()
    command = freshness_command(settings)
    assert command[1:3] == ["source", "freshness"]
    assert command[command.index("--output") + 1] == str(settings.dbt_target_dir / "sources.json")

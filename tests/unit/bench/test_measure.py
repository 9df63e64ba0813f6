"""The benchmark's measurement of a child process: wall time, peak memory, exit code."""

from __future__ import annotations

import sys

from bench.measure import run_measured
from bench.run import markdown


def test_peak_memory_of_a_child_that_allocates() -> None:
    m = run_measured(
        "alloc",
        [sys.executable, "-c", "import time; b = bytearray(300 * 2**20); time.sleep(0.3)"],
    )
    assert m.returncode == 0
    assert 300 <= m.peak_rss_mb < 600
    assert m.wall_s >= 0.3


def test_grandchildren_count_and_exit_codes_pass_through() -> None:
    code = (
        "import subprocess, sys; "
        "subprocess.run([sys.executable, '-c', "
        "'import time; b = bytearray(200 * 2**20); time.sleep(0.5)']); sys.exit(3)"
    )
    m = run_measured("nested", [sys.executable, "-c", code])
    assert m.returncode == 3
    assert m.peak_rss_mb >= 200


def test_markdown_table_lists_every_stage_and_the_total() -> None:
    result = {
        "scale": "S",
        "customers": 10_000,
        "events": 1_234_567,
        "input_bytes": 50 * 2**20,
        "measured_on": "2026-11-22",
        "machine": {"cpus": 2, "memory_gb": 24, "platform": "Linux", "python": "3.11",
                    "duckdb": "2.0"},
        "stages": [{"name": "load", "wall_s": 1.25, "peak_rss_mb": 300.0},
                   {"name": "dbt_marts", "wall_s": 10.0, "peak_rss_mb": 900.0}],
        "total": {"wall_s": 11.25, "peak_rss_mb": 900.0},
        "overheads": [{"name": "overhead: dbt parse", "wall_s": 3.0, "peak_rss_mb": 200.0}],
    }  # fmt: skip
    text = markdown(result)
    assert "| load | 1.2 | 300 |" in text
    assert "| **total** | **11.2** | **900** |" in text
    assert "10,000 customers, 1,234,567 events, 50 MiB" in text
    assert "| overhead: dbt parse | 3.0 | 200 |" in text

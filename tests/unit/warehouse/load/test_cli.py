"""The command line: a summary line, exit status 1 when a file failed, ``python -m``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from warehouse.load import main
from warehouse.settings import REPO_ROOT

from .support import ORDERS_HEADER, write


def test_cli_exit_status_says_a_file_failed(landing: Path, db: Path, capsys) -> None:
    write(landing, "shop/2026-03-01/orders.csv", "order_id\no1\n")
    write(landing, "shop/2026-03-01/notes.txt", "not an extract")
    code = main(["--landing-dir", str(landing), "--duckdb-path", str(db)])
    err = capsys.readouterr().err
    assert code == 1
    assert "shop/2026-03-01/orders.csv" in err and "missing required column" in err
    write(
        landing, "shop/2026-03-01/orders.csv", f"{ORDERS_HEADER}\no1,c1,2026-03-01,web,1,placed\n"
    )
    assert main(["--landing-dir", str(landing), "--duckdb-path", str(db)]) == 0


def test_python_dash_m_runs_the_loader(landing: Path, db: Path) -> None:
    write(
        landing, "shop/2026-03-01/orders.csv", f"{ORDERS_HEADER}\no1,c1,2026-03-01,web,1,placed\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "warehouse.load", "--landing-dir", str(landing),
         "--duckdb-path", str(db)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("1 files loaded (1 rows, 0 rejected)")

"""Run one command as a child process and measure its wall time and peak memory.

Peak memory is the largest resident set size of the process together with every
process it starts (sampled every 50 ms with psutil), or the largest high-water mark the
kernel recorded for any one of them (``VmHWM``, which catches a spike between two
samples), whichever is larger.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class Measurement:
    """What one stage cost."""

    name: str
    wall_s: float
    peak_rss_mb: float
    returncode: int


def _high_water_mark(pid: int) -> int:
    """The kernel's peak RSS of one process since it started its program, in bytes."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _tree_rss(proc: psutil.Process) -> tuple[int, int]:
    """Current RSS summed over the process tree, and the largest single high-water mark."""
    total = hwm = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    for p in procs:
        try:
            total += p.memory_info().rss
            hwm = max(hwm, _high_water_mark(p.pid))
        except psutil.Error:
            continue
    return total, hwm


def run_measured(
    name: str,
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    log_path: str | None = None,
) -> Measurement:
    """Run ``argv`` to completion and return its wall time and peak RSS.

    Args:
        name: Stage name for the result.
        argv: The command.
        env: Environment for the child (defaults to this process's).
        cwd: Working directory for the child.
        log_path: File that receives the child's stdout and stderr.
    """
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        ps = psutil.Process(child.pid)
        while not done.is_set():
            peak = max(peak, *_tree_rss(ps))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status = os.waitpid(child.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    if out is not subprocess.DEVNULL:
        out.close()
    return Measurement(name, round(wall, 2), round(peak / 2**20, 1), child.returncode)

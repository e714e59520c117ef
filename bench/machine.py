"""What the figures were measured on: cores, memory, CPU model, interpreter and database versions,
and how fast one core runs Python right now (cpu_ms)."""

import os
import platform
import re
import subprocess
import time
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        meminfo = Path("/proc/meminfo").read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(r"^MemTotal:\s+(\d+) kB", meminfo, re.MULTILINE)
    return round(int(match.group(1)) / 1024 / 1024, 1) if match else None


def _nproc() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _git_commit(repo_root: Path) -> str | None:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH, read-only
            cwd=repo_root,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def _python_workload() -> int:
    """String formatting, list and dict work and calls: what rendering a page mostly does."""
    parts: list[str] = []
    seen: dict[str, int] = {}
    for number in range(200_000):
        key = f"row-{number % 5_000}"
        seen[key] = seen.get(key, 0) + number % 7
        parts.append(key)
    return len("".join(parts)) + sum(seen.values())


def cpu_ms(rounds: int = 5) -> float:
    """Milliseconds one core needs for a fixed Python workload (best of `rounds`).

    The same code ran 2.3 times slower on one machine of this kind than on another (a slower or
    busier host: the CPU model string was the same), and so did every page. This figure, taken
    before and after a run, tells such runs apart: pages and floors scale roughly with it.
    """
    best = float("inf")
    for _round in range(rounds):
        started = time.perf_counter()
        _python_workload()
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages: other work on the machine skews the figures."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def machine_info(repo_root: Path) -> dict:
    """A dict describing this machine, for bench/latest.json and the README table."""
    return {
        "nproc": _nproc(),
        "ram_gib": _ram_gib(),
        "cpu_model": _cpu_model(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "git_commit": _git_commit(repo_root),
    }

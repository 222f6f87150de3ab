"""What every benchmark writes beside its figures: the machine, how busy it was, and its BENCHMARKS.md section.

Imported by the benchmark scripts (run as ``python benchmarks/<name>.py``, so this directory is on the path).
"""

from __future__ import annotations

import os
import platform
import re
import time
from pathlib import Path

BENCHMARKS_MD = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"


def machine() -> str:
    cpu = "unknown CPU"
    memory = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        found = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        if found:
            memory = f"{int(found.group(1)) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory} RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def busy_cores(seconds: float = 1.0) -> float:
    """Cores kept busy by the whole machine for a moment while this script sleeps."""

    def busy() -> float:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")

    before, started = busy(), time.perf_counter()
    time.sleep(seconds)
    return (busy() - before) / (time.perf_counter() - started)


def write_section(section: str, start: str, end: str) -> None:
    """Replace the part of BENCHMARKS.md between the ``start`` and ``end`` markers (or append the section)."""
    text = BENCHMARKS_MD.read_text()
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    BENCHMARKS_MD.write_text(text)

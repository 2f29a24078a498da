"""Optional profiles (BENCH_PROFILE=1): py-spy on a web worker and on the draining process.

Raw collapsed stacks go to bench/results/profile-<name>.raw; the summary kept in
latest.json lists the project's frames by inclusive share of the samples.
"""

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from .results import RESULTS_DIR

# Frames worth reading in a summary: the project's code and the calls it spends time in.
_INTERESTING = ("webhooks/", "deliveries/", "bulk_update", "bulk_create", "is_usable",
                "commit (", "Connection.wait", "apply_async", "select_for_update")  # fmt: skip


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return found


def raw_path(name: str) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    return RESULTS_DIR / f"profile-{name}.raw"


def attach(pid: int, seconds: int, name: str) -> subprocess.Popen[bytes]:
    command = [py_spy(), "record", "--nonblocking", "-r", "200", "-f", "raw", "-d", str(seconds)]
    command += ["-o", str(raw_path(name)), "-p", str(pid)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def wrap(command: list[str], name: str) -> list[str]:
    """`command`, run under py-spy record."""
    return [
        py_spy(),
        "record",
        "--nonblocking",
        "-r",
        "200",
        "-f",
        "raw",
        "-o",
        str(raw_path(name)),
        "--",
        *command,
    ]


def summary(name: str, top: int = 25) -> list[str]:
    path = raw_path(name)
    if not path.exists():
        return []
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        for frame in set(stack.split(";")):
            inclusive[frame] += samples
    lines = [f"{total} samples"]
    for frame, samples in inclusive.most_common():
        if any(key in frame for key in _INTERESTING):
            lines.append(f"{100 * samples / total:5.1f}% {frame}")
        if len(lines) > top:
            break
    return lines

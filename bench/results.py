"""Collected figures, printed as a table and written to bench/results/latest.{json,md}."""

import json
import platform
import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .config import DEFAULT_PHASES

RESULTS_DIR = Path(__file__).parent / "results"


@dataclass
class Figure:
    phase: str
    name: str
    value: float | None  # None: not measured (see note)
    unit: str
    baseline: str = ""
    baseline_value: float | None = None
    # value / baseline_value, or baseline_value / value when lower is better
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""


@dataclass
class Results:
    config: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    started_at: str = field(default_factory=lambda: datetime.now(tz=UTC).isoformat())

    def load_note(self, when: str) -> None:
        """The machine is shared: keep the load average beside the figures it may skew."""
        import os

        self.extra.setdefault("load_average", {})[when] = [round(x, 2) for x in os.getloadavg()]

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        print(f"  {_line(figure)}", flush=True)
        return figure

    def write(self) -> tuple[Path, Path]:
        RESULTS_DIR.mkdir(exist_ok=True)
        data = {
            "started_at": self.started_at,
            "finished_at": datetime.now(tz=UTC).isoformat(),
            "machine": _machine(),
            "config": self.config,
            "figures": [asdict(f) for f in self.figures],
            "extra": self.extra,
        }
        # Only a whole run is "latest" (what the README quotes); a quick or partial run is
        # kept beside it, untracked, and never overwrites it.
        full = not self.config.get("quick") and set(self.config.get("phases", ())) >= set(
            DEFAULT_PHASES.split(",")
        )
        stem = "latest" if full else "latest-partial"
        json_path = RESULTS_DIR / f"{stem}.json"
        json_path.write_text(json.dumps(data, indent=2, default=str) + "\n")
        md_path = RESULTS_DIR / f"{stem}.md"
        md_path.write_text(self.markdown(data) + "\n")
        return json_path, md_path

    def markdown(self, data: dict[str, Any]) -> str:
        lines = [
            f"# Benchmark results — {data['finished_at'][:19]} UTC",
            "",
            f"Machine: {data['machine']}. Configuration: `{json.dumps(self.config)}`.",
            "",
            "Load average (1, 5, 15 min) when each phase started — the machine is shared, so "
            f"absolute figures move with it; ratios are measured side by side: "
            f"`{json.dumps(self.extra.get('load_average', {}))}`.",
            "",
            "| phase | figure | value | baseline | baseline value | ratio | target | met |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for f in self.figures:
            lines.append(
                f"| {f.phase} | {f.name} | {_num(f.value, f.unit)} | {f.baseline} | "
                f"{_num(f.baseline_value, f.unit)} | {_ratio(f.ratio)} | {f.target} | "
                f"{_met(f.met)} |"
            )
        notes = [f"- **{f.phase} / {f.name}**: {f.note}" for f in self.figures if f.note]
        if notes:
            lines += ["", "Notes:", "", *notes]
        return "\n".join(lines)

    def table(self) -> str:
        header = f"{'phase':<10} {'figure':<44} {'value':>14} {'baseline':>14} {'ratio':>7}  met"
        rows = [header, "-" * len(header)]
        for f in self.figures:
            rows.append(
                f"{f.phase:<10} {f.name[:44]:<44} {_num(f.value, f.unit):>14} "
                f"{_num(f.baseline_value, f.unit):>14} {_ratio(f.ratio):>7}  {_met(f.met)}"
            )
        return "\n".join(rows)


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile; fine for the few dozen to few hundred samples taken here."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def _line(f: Figure) -> str:
    base = (
        f" vs {f.baseline} {_num(f.baseline_value, f.unit)} ({_ratio(f.ratio)})"
        if (f.baseline)
        else ""
    )
    return f"{f.phase}: {f.name} = {_num(f.value, f.unit)}{base} {_met(f.met)}"


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:.2f} {unit}"


def _ratio(ratio: float | None) -> str:
    return "" if ratio is None else f"{ratio:.2f}×"


def _met(met: bool | None) -> str:
    return {True: "yes", False: "NO", None: ""}[met]


def _machine() -> str:
    import os

    return f"{platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"

"""What each reliability scenario measured, and the report the suite writes from it.

Full runs (RELIABILITY_FULL=1) write docs/reliability.md; short runs (inside `make test`) write
the same table to a temporary file so the working tree stays clean.
"""

from __future__ import annotations

import os
import platform
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.paths import ROOT

FULL = os.environ.get("RELIABILITY_FULL") == "1"
DOC = ROOT / "docs" / "reliability.md"


def scaled(short: int, full: int) -> int:
    return full if FULL else short


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-share * len(ordered) // 1))))
    return ordered[rank - 1]


@dataclass
class Figures:
    scenario: str
    backend: str
    requests: int = 0
    faults: int = 0
    lost: int = 0
    duplicates: int = 0
    reposts: int = 0
    refused: int = 0
    acks_ms: list[float] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0

    def ack(self, elapsed_ms: float) -> None:
        self.requests += 1
        self.acks_ms.append(elapsed_ms)

    @property
    def worst_ms(self) -> float:
        return max(self.acks_ms, default=0.0)

    @property
    def p99_ms(self) -> float:
        return percentile(self.acks_ms, 0.99)

    def row(self) -> str:
        return (
            f"| {self.scenario} | {self.backend} | {self.requests} | {self.faults} | {self.lost} "
            f"| {self.duplicates} | {self.reposts} | {self.refused} | {self.worst_ms:.0f} "
            f"| {self.p99_ms:.0f} | {self.seconds:.1f} |"
        )


class Report:
    def __init__(self) -> None:
        self.rows: list[Figures] = []

    def open(self, scenario: str, backend: str) -> Figures:
        figures = Figures(scenario, backend)
        self.rows.append(figures)
        return figures

    def close(self, figures: Figures) -> None:
        figures.seconds = time.monotonic() - figures.started

    def write(self) -> Path | None:
        if not self.rows:
            return None
        target = DOC if FULL else Path(tempfile.gettempdir()) / "groundline-reliability.md"
        earlier = target.read_text(encoding="utf-8") if FULL and target.exists() else ""
        target.write_text(self.render(earlier), encoding="utf-8")
        return target

    def render(self, earlier: str = "") -> str:
        """The table of this run's rows. A full run of only some scenarios keeps the earlier
        document's other rows, in place, and says which run measured them."""
        ours = {row_key(f.scenario, f.backend): f.row() for f in self.rows}
        rows, kept = [], 0
        for line in table_rows(earlier):
            key = row_key(*line.split(" | ", 2)[:2])
            if key in ours:
                rows.append(ours.pop(key))
            else:
                rows.append(line)
                kept += 1
        rows.extend(ours.values())
        mode = "full" if FULL else "short"
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        lines = [
            "# Reliability and security figures",
            "",
            f"Written by `tests/reliability` ({mode} run, `scripts/reliability.sh`) on "
            f"{when}, {platform.machine()}, "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}. Every figure below was "
            "measured by that run; nothing is typed in by hand.",
            *(
                [
                    "",
                    f"This run measured {len(rows) - kept} of the {len(rows)} rows; the other "
                    f"{kept} are kept from earlier runs (the earliest on "
                    f"{first_run(earlier)}; a full run of some scenarios, "
                    "`scripts/reliability.sh tests/reliability/test_….py`, replaces only "
                    "their rows).",
                ]
                if kept
                else []
            ),
            "",
            "- **requests**: signed HTTP requests (and CLI runs) the scenario sent.",
            "- **faults**: faults injected (SIGKILLs, Slack 429/500s, model timeouts, database "
            "outages, hostile requests).",
            "- **lost**: acknowledged work (HTTP 200/201, CLI exit 0) missing afterwards. "
            "Must be 0.",
            "- **duplicates**: answers, runs or messages stored or posted twice. Must be 0.",
            "- **reposts**: a message posted again because the process died between Slack's "
            "answer and marking the row sent (the one at-least-once window, see "
            "docs/architecture.md). Reported, not hidden.",
            "- **refused**: messages Slack refused for good (or work refused on purpose), each "
            "recorded with its reason and told to the person where a way exists; a refusal "
            "without that fate counts as lost.",
            "- **worst / p99 ack**: time from sending a request to its HTTP answer, in ms "
            "(Slack allows 3000).",
            "",
            "| scenario | backend | requests | faults | lost | duplicates | reposts | refused "
            "| worst ack ms | p99 ack ms | seconds |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            "Kill trials restart `groundline serve` after each SIGKILL and then move the outbox "
            "lease deadline of rows the dead process held into the past: the same as waiting out "
            "the 60 s lease, without the wait. Likewise the 30 s lease of inbox jobs (a file to "
            "fetch, a model reading, a reframe) the dead process held, before the new one "
            "starts.",
            "",
            *WHO_IS_TOLD,
            "",
        ]
        return "\n".join(lines)


# Prose the table's rows rely on; kept here so that a full run writes it again.
WHO_IS_TOLD = [
    "Who hears of a refused post. A post someone asked for with a slash command, a button or "
    "a form carries that request's `response_url` (a form carries its opening click's), and a "
    "permanent refusal is told to that person there, in our words: which post, Slack's reason "
    "with its fix (invite the bot, unarchive the channel, reinstall), and what is stored all "
    "the same (tests/e2e/test_asked_refusals.py: `/align listen`, `/align report`, `/align "
    "wrong`, the reframe shortcut, a decision, its note, a wrong-answer button, a kickoff "
    "choice, a sign-off, a withdrawal and an edit, on both databases; `/align reframe` in "
    "tests/e2e/test_outbox_fates.py, Yes on a model's reading in "
    "tests/e2e/test_kickoff_llm.py). A message typed in a thread (a kickoff answer, a file "
    "drop, a claim in a listening channel) has no `response_url`, and when the bot cannot post "
    "in that channel Slack gives it no private way to reach the author either (an ephemeral "
    "needs the same channel; with the bot's access gone nothing works): the refused reply shows, "
    "with the fix, on the feature in App Home and `/align status` until a later message gets "
    "through, and a malformed one (`msg_too_long`, `invalid_blocks`) leaves a notice in its "
    "place. Follow-ups of an asked post in the same channel (a recount after `/align wrong`, "
    "the kickoff's first question, the summary after a sign-off) are not told again: the first "
    "telling names the channel's trouble.",
]


def backends(short: str) -> list[str]:
    """Both databases in full runs; one (alternating by scenario) in the short run."""
    return ["sqlite", "postgresql"] if FULL else [short]


def row_key(scenario: str, backend: str) -> tuple[str, str]:
    """A row's identity across runs: its scenario with the measured numbers in its name left
    out ("0 of 6 markers echoed raw" and "1 of 6 …" are one row), and its backend."""
    return re.sub(r"\d+", "#", scenario.strip("| ").strip()), backend.strip()


def table_rows(document: str) -> list[str]:
    lines = [line for line in document.splitlines() if line.startswith("| ")]
    return lines[1:]  # the header; the |---| line does not start with "| "


def first_run(document: str) -> str:
    """When the kept rows were measured: the earlier document's own first run."""
    found = re.search(r"the earliest on ([^;]+);", document) or re.search(
        r"\) on (\d{4}-\d\d-\d\d \d\d:\d\d UTC)", document
    )
    return found.group(1) if found else "an earlier run"

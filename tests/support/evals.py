"""Helpers for the eval-ingest tests: a feature with agreed targets, the three ways in, and the
expected numbers computed straight from the raw fixture files (not through bot.ingest)."""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from bot.services import evals
from bot.store.models import EvalCase, EvalRun, Feature
from tests.support.bot import BotUnderTest
from tests.support.paths import EVAL_FIXTURES

FIXTURES = EVAL_FIXTURES
CHANNEL = "C0FEAT"
PM = "U0PM"
TARGETS = {"max_error_rate": 0.10, "max_latency_p95_ms": 2000.0, "max_cost_per_query_usd": 0.01}
TRUE_WORDS = {"true", "1", "yes", "pass", "passed"}


def start_feature(
    bot: BotUnderTest, name: str = "Support answers", targets: dict[str, Any] | None = TARGETS
) -> Feature:
    """A kickoff started through Slack, its targets then marked agreed directly in the database."""
    reply = bot.driver.command("/kickoff", name, user_id=PM, channel_id=CHANNEL)
    assert reply.status == 200, reply.body
    bot.settle()
    with bot.session() as session:
        feature = session.scalars(select(Feature).where(Feature.name == name)).one()
        if targets is not None:
            version = feature.target_versions[-1]
            version.values_json = dict(targets)
            version.status = "agreed"
            version.agreed_at = feature.created_at
            feature.stage = "agreed"
        session.flush()
        session.expunge(feature)
    assert feature.thread_ts is not None
    return feature


def add_failing_run(bot: BotUnderTest, feature_id: int) -> None:
    """A run stored straight through the service: 40 cases, 12 of them failing (30%)."""
    rows = [{"id": f"q{i}", "passed": i >= 12, "latency_ms": 100} for i in range(40)]
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    with bot.session() as session:
        feature = session.get(Feature, feature_id)
        assert feature is not None
        upload = evals.Upload(io.BytesIO(data), "run.jsonl", "cli")
        evals.store_run(session, bot.runtime.deps.clock, feature, upload)


def run_cli(bot: BotUnderTest, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"DATABASE_URL": bot.runtime.settings.DATABASE_URL, "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, timeout=60
    )


def export(bot: BotUnderTest, feature: str) -> dict[str, Any]:
    result = run_cli(bot, "export", feature)
    assert result.returncode == 0, result.stderr
    record: dict[str, Any] = json.loads(result.stdout)
    return record


@dataclass
class Reply:
    status: int
    body: dict[str, Any]


def upload(
    bot: BotUnderTest,
    feature: str,
    body: bytes,
    token: str | None,
    query: str = "",
    headers: dict[str, str] | None = None,
) -> Reply:
    url = f"{bot.url}/api/v1/features/{feature}/eval-runs" + (f"?{query}" if query else "")
    all_headers = {"Content-Type": "application/octet-stream", **(headers or {})}
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=all_headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Reply(response.status, json.loads(response.read()))
    except urllib.error.HTTPError as error:
        return Reply(error.code, json.loads(error.read()))


def issue_token(bot: BotUnderTest, feature: str) -> str:
    reply = bot.driver.command("/align", f"token {feature}", user_id=PM, channel_id=CHANNEL)
    text = str(reply.json()["text"])
    token = next(word.strip("`") for word in text.split() if word.strip("`").startswith("gl_"))
    return token


def drop_file(bot: BotUnderTest, thread_ts: str, name: str, content: bytes, file_id: str) -> None:
    shared = bot.slack.add_file(file_id, name, content, channel=CHANNEL, thread_ts=thread_ts)
    reply = bot.driver.message(CHANNEL, "", thread_ts=thread_ts, files=[shared])
    assert reply.status == 200


def wait_for_thread_text(
    bot: BotUnderTest, thread_ts: str, needle: str, timeout: float = 15.0
) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        bot.settle()
        for message in bot.slack.bot_messages(CHANNEL, thread_ts):
            if needle in message.get("text", ""):
                return str(message["text"])
        time.sleep(0.05)
    raise AssertionError(f"no bot message containing {needle!r} in the thread")


def stored_counts(bot: BotUnderTest) -> tuple[int, int]:
    with bot.session() as session:
        runs = session.scalar(select(func.count()).select_from(EvalRun)) or 0
        cases = session.scalar(select(func.count()).select_from(EvalCase)) or 0
    return runs, cases


# --- expected numbers, straight from the raw files --------------------------------------------


@dataclass
class RawCase:
    errored: bool
    passed: bool | None
    latency_ms: float | None
    cost_usd: float | None


def raw_cases(name: str) -> list[RawCase]:
    path = FIXTURES / name
    if name.endswith(".jsonl"):
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return [_generic(row) for row in rows]
    if name.endswith(".csv"):
        with path.open(newline="") as handle:
            return [_generic(row) for row in csv.DictReader(handle)]
    data = json.loads(path.read_text())
    if "samples" in data:  # Inspect
        return [
            RawCase(
                errored=bool(sample.get("error")),
                passed=None
                if sample.get("error")
                else all(s["value"] == "C" for s in sample["scores"].values()),
                latency_ms=sample["total_time"] * 1000,
                cost_usd=None,
            )
            for sample in data["samples"]
        ]
    return [  # promptfoo
        RawCase(
            errored=result.get("failureReason") == 2,
            passed=None if result.get("failureReason") == 2 else bool(result["success"]),
            latency_ms=result.get("latencyMs"),
            cost_usd=result.get("cost"),
        )
        for result in data["results"]["results"]
    ]


def _generic(row: dict[str, Any]) -> RawCase:
    def number(value: Any) -> float | None:
        return None if value in (None, "") else float(value)

    errored = bool(row.get("error"))
    verdict = row.get("passed", row.get("grounded"))
    passed = None if errored else str(verdict).strip().lower() in TRUE_WORDS
    return RawCase(errored, passed, number(row.get("latency_ms")), number(row.get("cost_usd")))


def expected_p95(latencies: list[float]) -> float | None:
    """The p95 the domain promises, computed here on its own (one place to change): by nearest
    rank, the ⌈0.95·n⌉-th smallest (integer arithmetic), so 95% of the cases took at most it."""
    if not latencies:
        return None
    return sorted(latencies)[-(-95 * len(latencies) // 100) - 1]


def expected_numbers(name: str) -> dict[str, Any]:
    cases = raw_cases(name)
    answered = [c for c in cases if not c.errored]
    n = len(answered)
    failed = sum(1 for c in answered if c.passed is False)
    rate = failed / n
    z = 1.959963984540054
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if failed == 0 else centre - half
    high = 1.0 if failed == n else centre + half
    latencies = sorted(c.latency_ms for c in answered if c.latency_ms is not None)
    costs = [c.cost_usd for c in answered if c.cost_usd is not None]
    low_rank, high_rank = exact_p95_ranks(len(latencies))
    return {
        "n": n,
        "n_failed": failed,
        "n_errored": len(cases) - n,
        "failure_rate": rate,
        "failure_rate_ci95": [low, high],
        # Nearest rank: the ⌈q·n⌉-th smallest, in integer arithmetic.
        "latency_p50_ms": latencies[-(-50 * len(latencies) // 100) - 1],
        "latency_p95_ms": expected_p95(latencies),
        "latency_p95_ci95": [
            latencies[low_rank - 1] if low_rank else None,
            latencies[high_rank - 1] if high_rank else None,
        ],
        "cost_per_query_usd": sum(costs) / len(costs) if costs else None,
        "cost_sd_usd": statistics.stdev(costs) if len(costs) > 1 else None,
    }


def exact_p95_ranks(n: int) -> tuple[int | None, int | None]:
    """The p95's order-statistic ranks by exact integer binomial sums: with B ~ Bin(n, 19/20),
    l is the largest rank with P(B ≤ l − 1) ≤ 1/40 and u the smallest with P(B ≥ u) ≤ 1/40."""
    weights = [math.comb(n, k) * 19**k for k in range(n + 1)]  # P(B = k) · 20ⁿ
    whole = 20**n
    low = None
    for rank in range(1, n + 1):
        if sum(weights[:rank]) * 40 <= whole:
            low = rank
    high = None
    for rank in range(n, 0, -1):
        if sum(weights[rank:]) * 40 <= whole:
            high = rank
    return low, high


def assert_matches(run: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, want in expected.items():
        got = run[key]
        if isinstance(want, list):
            assert got == [
                g if w is None and g is None else _approx(g, w)
                for g, w in zip(got, want, strict=True)
            ], f"{key}: {got} != {want}"
        elif isinstance(want, float):
            assert _approx(got, want) == got, f"{key}: {got} != {want}"
        else:
            assert got == want, f"{key}: {got} != {want}"


def _approx(got: float, want: float) -> float:
    assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), (got, want)
    return got

"""`/align metric`, `/align token` (and revoking), and the breach alert with its hourly debounce."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.store.models import FeatureToken
from tests.support.bot import BotUnderTest
from tests.support.evals import (
    CHANNEL,
    FIXTURES,
    PM,
    export,
    issue_token,
    start_feature,
    upload,
    wait_for_thread_text,
)

PASSING = b'{"id": "a", "passed": true, "latency_ms": 100}\n{"id": "b", "passed": true}\n'
FAILING = b"".join(b'{"id": "f%d", "passed": false, "latency_ms": 100}\n' % i for i in range(40))


def test_align_metric_records_a_sample(bot: BotUnderTest) -> None:
    start_feature(
        bot,
        targets={
            "success_metrics": [
                {"name": "CSAT", "target": 4.2, "direction": "at_least", "unit": ""}
            ]
        },
    )
    reply = bot.driver.command("/align", "metric support-answers csat 4.3", user_id=PM)
    assert "Noted" in reply.json()["text"] and "CSAT" in reply.json()["text"]
    bad = bot.driver.command("/align", "metric support-answers csat lots", user_id=PM)
    assert "not a number" in bad.json()["text"]
    unknown = bot.driver.command("/align", "metric nope csat 4", user_id=PM)
    assert "No feature called" in unknown.json()["text"]
    short = bot.driver.command("/align", "metric support-answers", user_id=PM)
    assert "Usage" in short.json()["text"]
    samples = export(bot, "support-answers")["metric_samples"]
    assert [(s["name"], s["value"], s["by"]) for s in samples] == [("CSAT", 4.3, PM)]


def test_align_metric_checks_the_value_against_the_measure_and_can_undo(
    bot: BotUnderTest,
) -> None:
    start_feature(
        bot,
        targets={
            "success_metrics": [
                {"name": "CSAT", "target": 4.2, "direction": "at_least", "unit": ""},
                {"name": "deflection", "target": 30, "direction": "at_least", "unit": "%"},
                {"name": "NPS", "target": 40, "direction": "at_least", "unit": ""},
            ]
        },
    )

    def say(text: str) -> str:
        return str(bot.driver.command("/align", text, user_id=PM).json()["text"])

    assert "Noted: *CSAT* = 4.3" in say("metric support-answers CSAT 4,3")  # a decimal comma
    refused = say("metric support-answers CSAT 43")
    assert "didn't record" in refused and "scale up to 5" in refused and "4.3?" in refused
    assert "can't be negative" in say("metric support-answers csat -4.3")
    assert "between 0% and 100%" in say("metric support-answers deflection 300%")
    assert "Noted: *deflection* = 35" in say("metric support-answers deflection 35%")
    assert "Noted: *NPS* = -12" in say("metric support-answers NPS -12")  # NPS can be negative
    samples = export(bot, "support-answers")["metric_samples"]
    assert [(s["name"], s["value"]) for s in samples] == [
        ("CSAT", 4.3),
        ("deflection", 35.0),
        ("NPS", -12.0),
    ]
    assert "Removed *NPS* = -12" in say("metric support-answers undo")
    assert "Removed *deflection* = 35" in say("metric support-answers undo")
    others = bot.driver.command("/align", "metric support-answers undo", user_id="U0ENG")
    assert "none to undo" in others.json()["text"]  # only your own readings
    samples = export(bot, "support-answers")["metric_samples"]
    assert [(s["name"], s["value"]) for s in samples] == [("CSAT", 4.3)]


def test_token_is_shown_once_and_revoke_stops_it(bot: BotUnderTest) -> None:
    start_feature(bot)
    token = issue_token(bot, "support-answers")
    with bot.session() as session:
        stored = session.query(FeatureToken).one()
        assert token not in stored.token_hash and len(stored.token_hash) == 64
    assert upload(bot, "support-answers", PASSING, token).status == 201
    revoked = bot.driver.command("/align", "token support-answers --revoke", user_id=PM)
    assert "Revoked 1 upload token" in revoked.json()["text"]
    refused = upload(bot, "support-answers", PASSING, token)
    assert refused.status == 401 and "revoked" in refused.body["message"]
    fresh = issue_token(bot, "support-answers")
    again = upload(bot, "support-answers", PASSING, fresh)  # the same results: one run
    assert fresh != token and again.status == 200 and again.body["duplicate"] is True
    other = PASSING.replace(b'"b"', b'"c"')
    assert upload(bot, "support-answers", other, fresh).status == 201


def run_of(body: bytes, number: int) -> bytes:
    """Another CI run with the same verdicts: other case ids, so other content (the same
    content twice is one run)."""
    return body.replace(b'"id": "', b'"id": "run%d-' % number)


def alerts(bot: BotUnderTest) -> list[str]:
    bot.settle()
    return [
        m["text"]
        for m in bot.slack.bot_messages(CHANNEL)
        if "thread_ts" not in m and "misses the agreed" in m.get("text", "")
    ]


def test_breach_alert_once_per_hour(clocked_bot: BotUnderTest, clock: ManualClock) -> None:
    bot = clocked_bot
    feature = start_feature(bot)
    assert feature.thread_ts is not None
    token = issue_token(bot, "support-answers")
    assert upload(bot, "support-answers", run_of(PASSING, 1), token).status == 201
    assert alerts(bot) == []
    assert upload(bot, "support-answers", run_of(FAILING, 2), token).status == 201  # newly breaches
    assert len(alerts(bot)) == 1 and "error rate" in alerts(bot)[0]
    summary = wait_for_thread_text(bot, feature.thread_ts, "Verdict: misses")
    assert "of 40 cases" in summary and "Agreed limit: 10%" in summary
    assert upload(bot, "support-answers", run_of(PASSING, 3), token).status == 201
    clock.advance(timedelta(minutes=30))
    assert (
        upload(bot, "support-answers", run_of(FAILING, 4), token).status == 201
    )  # within the hour
    assert len(alerts(bot)) == 1
    assert (
        upload(bot, "support-answers", run_of(FAILING, 5), token).status == 201
    )  # still breached: not new
    clock.advance(timedelta(minutes=31))
    assert upload(bot, "support-answers", run_of(PASSING, 6), token).status == 201
    assert (
        upload(bot, "support-answers", run_of(FAILING, 7), token).status == 201
    )  # an hour on: alerted
    assert len(alerts(bot)) == 2


def test_no_targets_yet_says_so(bot: BotUnderTest) -> None:
    feature = start_feature(bot, targets=None)
    assert feature.thread_ts is not None
    token = issue_token(bot, "support-answers")
    body = (FIXTURES / "real" / "promptfoo-v1.json").read_bytes()
    assert upload(bot, "support-answers", body, token).status == 201
    summary = wait_for_thread_text(bot, feature.thread_ts, "New eval run")
    assert "No target agreed yet" in summary and "1 case errored" in summary
    assert alerts(bot) == []

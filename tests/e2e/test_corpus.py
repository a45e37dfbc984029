"""Every thread of the conversation corpus (tests/corpus) played against the running bot through
signed HTTP requests, then scored from the export: facts right, silently wrong, misfiled, and
the questions the bot asked.

One bot on SQLite runs all threads, each in its own channel, several at once: the threads are
independent conversations, which is what a workspace with many kickoffs looks like, and it
keeps the run to seconds. One database suffices here because what is scored is reading, which
is pure code over the same stored JSON on either database; the kickoff end-to-end tests
(tests/e2e/test_kickoff_e2e.py and friends) run the same service paths on PostgreSQL too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.localslack.server import LocalSlack
from bot.services.export import export_feature
from bot.store.models import Feature, InboxMessage, OutboxMessage
from bot.store.spool import spooled
from tests.support import corpus
from tests.support.bot import BotUnderTest, start_bot

MIN_SHARE_RIGHT = 0.97
PARALLEL = 6
WAIT_SECONDS = 20.0
TEAM = "T0LOCAL"
# Sets played and printed but not yet held to the threshold: a new blind set is measured first
# and fixed after (conv2, issue 11). Empty once its fixes are on main (14-blind.txt, the third
# blind set: first run and after-fix figures in docs/kickoff.md).
PENDING: set[str] = set()


@pytest.fixture(scope="module")
def corpus_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotUnderTest]:
    database = tmp_path_factory.mktemp("corpus") / "groundline.db"
    with LocalSlack(bot_token="xoxb-test-token", team_id=TEAM) as slack:
        for name, user_id in corpus.PEOPLE.items():
            slack.add_user(user_id, name)
        running = start_bot(f"sqlite:///{database}", slack, GROUNDLINE_SCHEDULER=False)
        try:
            yield running
        finally:
            running.stop()


def huge_text() -> str:
    return ("we pasted the whole spec here 12% 3 s $4 per query " * 100)[:4500]


class Player:
    """Plays one thread in its own channel and waits for the bot after each step."""

    def __init__(self, bot: BotUnderTest, thread: corpus.Thread, channel: str) -> None:
        self.bot, self.thread, self.channel = bot, thread, channel
        self.thread_ts = ""
        self.score = corpus.Score()
        self.seen: set[str] = set()

    def play(self) -> tuple[corpus.Score, dict[str, Any], str]:
        assert self.thread.kickoff is not None, f"{self.thread.id} has no /kickoff line"
        self.bot.slack.add_channel(self.channel, self.thread.id[:60])
        kickoff = self.thread.kickoff
        command, _, text = kickoff.text.partition(" ")
        reply = self.bot.driver.command(
            command, text, user_id=corpus.PEOPLE[kickoff.person], channel_id=self.channel
        )
        assert reply.status == 200, reply.body
        self.thread_ts = self.wait_for_thread()
        self.drain()
        self.seen = {m["ts"] for m in self.bot.slack.bot_messages(self.channel, self.thread_ts)}
        for step in self.thread.steps:
            self.run(step)
        with self.bot.session() as session:
            feature = session.scalars(select(Feature).where(Feature.channel_id == self.channel))
            found = feature.one()
            record = export_feature(session, found)
            return self.score, record["targets"], found.stage

    def run(self, step: corpus.Step) -> None:
        user = corpus.PEOPLE[step.person]
        if step.press is not None:
            message = self.newest_with_button(step.press)
            if message is None:  # the bot is not where the people think it is
                self.score.unfinished.append(f"{self.thread.id}: no {step.press!r} button")
                return
            delivered = self.bot.driver.press(message, label=step.press, user=user)
            assert delivered.status == 200, delivered.body
            self.drain()
        else:
            text = huge_text() if step.text == corpus.HUGE else step.text
            delivered = self.bot.driver.message(
                self.channel, text, user=user, thread_ts=self.thread_ts, encoded=True
            )
            assert delivered.status == 200
            self.wait_handled(f"event:{delivered.event_id}")
            self.drain()
        self.count_questions()

    def newest_with_button(self, label: str) -> dict[str, Any] | None:
        for message in reversed(self.bot.slack.bot_messages(self.channel, self.thread_ts)):
            for block in message.get("blocks") or []:
                for element in block.get("elements") or []:
                    if element.get("type") != "button":
                        continue
                    if str(element["text"]["text"]).lower() == label.lower():
                        return message
        return None

    def count_questions(self) -> None:
        """Questions the bot asked since the last step (marked by an `ask:<item>` block id)."""
        messages = self.bot.slack.bot_messages(self.channel, self.thread_ts)
        new = [m for m in messages if m["ts"] not in self.seen]
        self.seen |= {m["ts"] for m in new}
        asked = [
            str(block.get("block_id", ""))[4:]
            for m in new
            for block in m.get("blocks") or []
            if str(block.get("block_id", "")).startswith("ask:")
        ]
        if not asked:
            return
        self.score.questions += len(asked)
        with self.bot.session() as session:
            feature = session.scalars(
                select(Feature).where(Feature.channel_id == self.channel)
            ).one()
            values = corpus.stored(export_feature(session, feature)["targets"])
        for item in asked:
            expected = self.thread.expect.get(item)
            if expected and values.get(item) and corpus.is_right(item, expected, values[item]):
                self.score.asked_again += 1

    # --- waiting for the bot --------------------------------------------------------------
    def wait_for_thread(self) -> str:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            self.bot.runtime.deps.inbox_ready.set()
            self.bot.runtime.deps.outbox_ready.set()
            with self.bot.session() as session:
                ts = session.scalar(
                    select(Feature.thread_ts).where(Feature.channel_id == self.channel)
                )
            if ts:
                return str(ts)
            time.sleep(0.01)
        raise AssertionError(f"{self.thread.id}: the kickoff thread was never posted")

    def wait_handled(self, key: str) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            self.bot.runtime.deps.inbox_ready.set()
            with self.bot.session() as session:
                status = session.scalar(
                    select(InboxMessage.status).where(InboxMessage.delivery_key == key)
                )
            if status in ("done", "failed"):
                return
            time.sleep(0.01)
        raise AssertionError(f"{self.thread.id}: the bot never handled {key}")

    def drain(self) -> None:
        """Wait until this channel's stored work is handled (sign-off presses are signed after
        the ack, from the inbox or first the SQLite spool) and the bot's replies are sent."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            self.bot.runtime.deps.inbox_ready.set()
            self.bot.runtime.deps.outbox_ready.set()
            # Counted in the order work moves (spool → inbox → outbox; each step commits the
            # next before it lets go of the last), so an item moving between them is never
            # missed between two counts.
            waiting = spooled(self.bot.runtime.settings.DATABASE_URL)  # not yet in the inbox
            with self.bot.session() as session:
                waiting += (
                    session.scalar(
                        select(func.count())
                        .select_from(InboxMessage)
                        .where(
                            InboxMessage.channel_id == self.channel,
                            InboxMessage.status.not_in(("done", "failed")),
                        )
                    )
                    or 0
                )
                waiting += (
                    session.scalar(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(
                            OutboxMessage.channel_id == self.channel,
                            OutboxMessage.status.in_(("pending", "sending")),
                        )
                    )
                    or 0
                )
            if not waiting:
                return
            time.sleep(0.01)
        raise AssertionError(f"{self.thread.id}: the bot's replies were never sent")


def test_the_corpus_is_well_formed() -> None:
    threads = corpus.load()
    assert len(threads) >= 80
    ids = [thread.id for thread in threads]
    assert len(ids) == len(set(ids)), "thread ids repeat"
    names = [thread.kickoff.text.split("<@")[0] for thread in threads if thread.kickoff]
    assert len(names) == len(threads), "every thread starts with /kickoff"
    assert len({name.lower().strip() for name in names}) == len(names), "feature names repeat"
    for thread in threads:
        assert thread.steps, thread.id
        for item, expected in thread.expect.items():
            corpus.is_right(item, expected, None)  # every expectation can be read


def test_the_bot_understands_the_corpus(corpus_bot: BotUnderTest, tmp_path: Path) -> None:
    threads = corpus.load()
    total = corpus.Score()
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        players = [
            Player(corpus_bot, thread, f"C0K{index:04d}") for index, thread in enumerate(threads)
        ]
        results = list(pool.map(lambda player: player.play(), players))
    held = corpus.Score()
    for player, (score, targets, stage) in zip(players, results, strict=True):
        thread_score = corpus.score(player.thread, targets, stage)
        thread_score.questions += score.questions
        thread_score.asked_again += score.asked_again
        thread_score.unfinished += score.unfinished
        total.add(thread_score)
        if player.thread.source.split(":")[0] not in PENDING:
            held.add(thread_score)
    report = [
        f"corpus: {len(threads)} threads, {total.facts} facts",
        f"  facts right     {total.right} ({total.share_right:.1%})",
        f"  not stored      {total.missing}",
        f"  silently wrong  {len(total.wrong)}",
        f"  misfiled        {len(total.misfiled)}",
        f"  no summary      {len(total.unfinished)}",
        f"  questions asked {total.questions} ({total.asked_again} about an item already right)",
        *(f"  WRONG     {line}" for line in total.wrong),
        *(f"  MISFILED  {line}" for line in total.misfiled),
        *(f"  UNFINISHED {line}" for line in total.unfinished),
        *(f"  NOT STORED {line}" for line in total.not_stored),
    ]
    if PENDING:
        report.append(f"held to the threshold (all but {', '.join(sorted(PENDING))}):")
        report.append(f"  facts right {held.right} of {held.facts} ({held.share_right:.1%})")
    print("\n".join(report))
    assert not held.wrong, "\n".join(report)
    assert not held.misfiled, "\n".join(report)
    assert not held.unfinished, "\n".join(report)
    assert held.share_right >= MIN_SHARE_RIGHT, "\n".join(report)

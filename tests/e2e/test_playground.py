"""The playground: a scripted session through `python -m bot playground`, the Block Kit
renderer, and the line commands (press, modal, as) against the real bot in-process.
(Over 300 lines: one scripted session for each thing the playground lets people try.)
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.playground import run_playground
from bot.playground.render import display_text, render_blocks, render_message
from bot.playground.session import Playground
from bot.playground.stage import open_stage
from tests.support.paths import ROOT, TESTS

REPO = ROOT
SCRIPTS = TESTS / "playground"


def sections(transcript: str) -> list[tuple[str, str]]:
    """(input line, what was printed for it), in order, from a non-TTY transcript."""
    found: list[tuple[str, str]] = []
    for line in transcript.splitlines():
        if line.startswith("> "):
            found.append((line[2:], ""))
        elif found:
            found[-1] = (found[-1][0], found[-1][1] + line + "\n")
    return found


def answers_to(transcript: str, line: str) -> list[str]:
    return [printed for typed, printed in sections(transcript) if typed == line]


def run_cli(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m bot …` with a clean environment: no Slack tokens, a throwaway database."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'groundline.db'}",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,  # away from any developer's .env
        timeout=60,
    )


def test_scripted_kickoff_runs_start_to_finish(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'groundline.db'}"  # kept, so `export` can read it
    script = (SCRIPTS / "kickoff.txt").read_text()
    result = run_cli(tmp_path, "playground", "--database", database, stdin=script)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    assert out.splitlines()[0].startswith("Groundline playground")

    (help_reply,) = answers_to(out, "/align help")
    assert "(only you) *Groundline* helps" in help_reply and "`/align status" in help_reply
    (started,) = answers_to(out, "/kickoff Support answers @ana @raj")
    assert "#support-answers  bot: *Kickoff: Support answers*" in started
    assert "@ana (PM) started a kickoff with @raj (engineer)" in started
    assert "    ┆ bot: *1 of 4 · How often may it be wrong?*" in started

    (pushback,) = answers_to(out, "0%")
    assert "┆ bot:" in pushback and "Noted" not in pushback
    assert "What does a wrong answer cost" in answers_to(out, "one in ten")[0]
    (fallback_question,) = answers_to(out, "A support ticket and an annoyed customer")
    assert "[ Hand over to a human ]" in fallback_question
    assert "How will we know it works" in answers_to(out, "as eng press Hand over to a human")[0]
    assert "Noted" not in answers_to(out, "fast")[0]

    (summary,) = answers_to(out, "press Latency can give")
    assert "the targets, version 1" in summary
    assert "[ Sign off as PM ]  [ Sign off as engineer ]" in summary
    (signed_pm, resigned_pm) = answers_to(out, "press Sign off as PM")
    assert "bot (edited):" in signed_pm and "[ Sign off as PM ✓ ]" in signed_pm
    assert "Signed as PM" in resigned_pm
    (agreed, agreed_again) = answers_to(out, "as eng press Sign off as engineer")
    assert "targets agreed (version 1)" in agreed

    (change,) = answers_to(
        out, "as eng change latency to 1.5 s because users complained about waits"
    )
    assert "#support-answers  bot: @raj proposes changing" in change
    assert "the targets, version 2" in change and "[ Sign off as PM ]" in change
    assert "targets agreed (version 2)" in agreed_again

    (modal,) = answers_to(out, "press Edit cost")
    assert "┌ modal: Change an answer" in modal and "New cost per query: ____" in modal
    assert "the targets, version 3" in answers_to(out, "modal $8 per 1k | cheaper model")[0]
    assert answers_to(out, "press Nope")[0].startswith("! No button “Nope”")
    assert "Home tab, for you" in answers_to(out, "home")[0]

    exported = run_cli(tmp_path, "export", "support-answers")
    assert exported.returncode == 0, exported.stderr
    history = json.loads(exported.stdout)["target_history"]
    assert any(v["max_latency_p95_ms"] == 1500 and v["status"] == "agreed" for v in history)


def test_messy_kickoff_script_reads_what_people_type(tmp_path: Path) -> None:
    """tests/playground/messy-kickoff.txt: several answers at once, chatter, a question back, a
    remark to a colleague, a disagreement, a correction; then the transcript and the export."""
    database = f"sqlite:///{tmp_path / 'groundline.db'}"
    script = (SCRIPTS / "messy-kickoff.txt").read_text()
    result = run_cli(tmp_path, "playground", "--database", database, stdin=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout

    def reply(line: str) -> str:
        (printed,) = answers_to(out, line)
        return printed

    assert "@ana (PM) started a kickoff with @raj (engineer)" in reply(
        "/kickoff Refund helper @ana @raj"
    )
    first = reply(
        "ok my take: no more than 1 in 12 wrong — past that support stops trusting it & goes "
        "back to macros"
    )
    assert (
        "Noted: error rate at most 8.3%; what a wrong answer costs: “past that support stops "
        "trusting it & goes back to macros”." in first
    )
    assert "2 of 4 · When the model isn't sure" in first
    for quiet in ("@raj did security look at this yet?", "as eng not yet, will ping them tomorrow"):
        assert reply(quiet).strip() == "(no reply)"
    assert reply("thanks!").strip() == "(no reply)"
    assert "95 of every 100 answers" in reply("what does p95 mean here?")
    budget = reply("as eng p95 under 2s, and we're ok up to $0.005/query")
    assert "Noted: p95 latency at most 2 s; cost at most $0.005 per query." in budget
    assert "Still open: *2 of 4 · When the model isn't sure*" in budget
    fallback = reply("if it doesn't know it should hand over to a human")
    assert "Noted: when unsure: hand over to a human." in fallback and "3 of 4" in fallback
    disputed = reply("as eng 1 in 12 is loose for refunds, I'd say 5%")
    assert "@ana says at most 8.3% of answers wrong; @raj says at most 5% of answers wrong" in (
        disputed
    )
    assert "Noted: error rate at most 5%." in reply("fine, 5% then")
    assert "CSAT ≥ 4.2; refunds handled end to end ≥ 40%" in reply(
        "CSAT >= 4,2 and refunds handled end to end at least 40%"
    )
    summary = reply("speed is everything, pay what it takes")
    assert "Noted: Cost gives way first" in summary and "the targets, version 1" in summary
    changed = reply("actually make that 3 seconds, the refund API is slow")
    assert "Changed *latency (p95)*: p95 at most 2 s → p95 at most 3 s." in changed
    assert "bot (edited): *Refund helper: the targets, version 1*" in changed
    assert out.count("bot: *Refund helper: the targets, version 1*") == 1  # one summary
    assert "targets agreed (version 1)" in reply("as eng press Sign off as engineer")

    exported = run_cli(tmp_path, "export", "refund-helper")
    assert exported.returncode == 0, exported.stderr
    targets = json.loads(exported.stdout)["targets"]
    assert targets["status"] == "agreed" and targets["max_error_rate"] == 0.05
    assert targets["max_latency_p95_ms"] == 3000 and targets["max_cost_per_query_usd"] == 0.005
    assert targets["tradeoff_priority"] == "cost_gives"
    assert targets["fallback"]["kind"] == "escalate_human"
    assert targets["error_impact"] == "past that support stops trusting it & goes back to macros"
    assert [(m["name"], m["target"]) for m in targets["success_metrics"]] == [
        ("CSAT", 4.2),
        ("refunds handled end to end", 40.0),
    ]


# --- rendering ------------------------------------------------------------------------------
def test_blocks_render_as_readable_lines() -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Groundline"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Bold* for <@U0PM> &amp; co"}},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "in <#C0FEAT>"}]},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Yes"}},
                {"type": "button", "text": {"type": "plain_text", "text": "No"}},
            ],
        },
        {"type": "input", "label": {"type": "plain_text", "text": "New cost"}, "element": {}},
        {"type": "video"},
    ]
    names = {"U0PM": "ana", "C0FEAT": "support-answers"}
    assert render_blocks(blocks, names) == [
        "Groundline",
        "══════════",
        "*Bold* for @ana & co",
        "─" * 24,
        "in #support-answers",
        "[ Yes ]  [ No ]",
        "New cost: ____",
        "[video block]",
    ]


def test_mrkdwn_display_keeps_what_users_typed() -> None:
    assert display_text("&lt;!channel&gt; stays text, <!here> pings") == (
        "<!channel> stays text, @here pings"
    )
    assert display_text("see <https://example.com|the docs> or <https://x.org>") == (
        "see the docs (https://example.com) or https://x.org"
    )
    assert display_text("reply `change <what> to <new value>` :handshake:") == (
        "reply `change <what> to <new value>` 🤝"
    )
    assert display_text("<@U0ENG|raj> and <@U0XYZ>") == "@raj and @U0XYZ"


def test_message_without_blocks_shows_its_text() -> None:
    assert render_message("a\nb", None) == ["a", "b"]
    assert render_message("", []) == ["(empty message)"]
    rich = [
        {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [
                        {"type": "text", "text": "hi "},
                        {"type": "user", "user_id": "U0PM"},
                    ],
                }
            ],
        }
    ]
    assert render_message("ignored", rich, {"U0PM": "ana"}) == ["hi @ana"]


# --- line commands, in-process ----------------------------------------------------------------
@pytest.fixture
def playground(tmp_path: Path) -> Iterator[tuple[Playground, list[str]]]:
    printed: list[str] = []
    settings = Settings(_env_file=None, OPENAI_API_KEY=None)  # no language model in tests
    with open_stage(settings, f"sqlite:///{tmp_path / 'pg.db'}") as stage:
        yield Playground(stage, printed.append), printed


def test_press_explains_missing_and_ambiguous_buttons(
    playground: tuple[Playground, list[str]],
) -> None:
    session, printed = playground
    session.handle("press Sign off as PM")
    assert printed[-1] == (
        "! No button “Sign off as PM”: the bot has shown no buttons in #support-answers yet. "
        "To send the line as a message: `say press Sign off as PM`."
    )
    for line in ("/kickoff Search", "10%", "a refund"):
        session.handle(line)
    printed.clear()
    session.handle("press Nope")
    assert printed == [
        "! No button “Nope” in #support-answers. Buttons there: “Say it isn't sure”, "
        "“Hand over to a human”, “Offer alternatives”. "
        "To send the line as a message: `say press Nope`."
    ]
    printed.clear()
    session.handle("press o")
    assert printed[0].startswith("! “o” could be")
    printed.clear()
    session.handle("as eng press hand OVER")  # any case, part of a label
    assert any("Noted: when unsure: hand over to a human" in line for line in printed)


def test_modal_and_people_errors_keep_the_session_going(
    playground: tuple[Playground, list[str]],
) -> None:
    session, printed = playground
    assert session.handle("modal 8%")
    assert printed[-1].startswith("! No modal is open")
    assert session.handle("as nobody press x")
    assert printed[-1].startswith("! Who is 'nobody'?")
    assert session.handle("/nothing here")
    assert printed[-1] == "  ! The bot has no /nothing command (yet)."
    session.handle("as soon as we can")  # not a person: an ordinary message
    assert printed[-1] == "  (no reply)"
    session.handle("channel is fine")
    assert printed[-1] == "  (no reply)" and session.channel == "C0FEAT"
    session.handle("channel C0OTHER random")
    assert printed[-1] == "In #random (C0OTHER); your lines go to the channel."
    session.handle("as eng")
    assert session.me == "U0ENG"
    assert not session.handle("quit")


def test_run_playground_echoes_a_script_and_stops_at_quit(tmp_path: Path) -> None:
    stdin = io.StringIO("# comment\n\n/align help\nquit\n/align status\n")
    stdout = io.StringIO()
    settings = Settings(_env_file=None, OPENAI_API_KEY=None)  # no language model in tests
    code = run_playground(settings, f"sqlite:///{tmp_path / 'run.db'}", stdin=stdin, stdout=stdout)
    assert code == 0
    lines = stdout.getvalue().splitlines()
    assert lines[0] == "Groundline playground (local Slack stand-in); `help` lists the commands."
    assert lines[1:3] == ["> # comment", "> /align help"]
    assert "> quit" in lines and "> /align status" not in lines


def play_script(tmp_path: Path, script: str, fixture: str) -> str:
    """The script names its eval file relative to the repository's root; mirror that here."""
    path = Path(fixture)
    (tmp_path / path.parent).mkdir(parents=True)
    (tmp_path / path).write_bytes((REPO / path).read_bytes())
    database = f"sqlite:///{tmp_path / 'groundline.db'}"
    result = run_cli(
        tmp_path, "playground", "--database", database, stdin=(SCRIPTS / script).read_text()
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_scripted_report_loop_from_file_drop_to_decision_note(tmp_path: Path) -> None:
    out = play_script(tmp_path, "report.txt", "tests/fixtures/evals/ours/support_missed.jsonl")

    (dropped,) = answers_to(out, "drop tests/fixtures/evals/ours/support_missed.jsonl")
    assert "40" in dropped and "30%" in dropped
    (report,) = answers_to(out, "/align report support-answers")
    assert "30% of answers failed" in report and "Verdict: misses" in report
    assert "[ A) Stronger model ]" in report
    (chosen,) = answers_to(out, "as eng press A) Stronger model")
    assert "chose A)" in chosen and "[ Add a note ]" in chosen
    (form,) = answers_to(out, "as eng press Add a note")
    assert "┌ modal: Note on a decision" in form
    (noted,) = answers_to(out, "as eng modal Bigger model for two weeks, then we compare")
    assert "note on A)" in noted and "Bigger model for two weeks" in noted
    (home,) = answers_to(out, "home")
    assert "error rate 30% (limit 10%): misses" in home

    exported = run_cli(tmp_path, "export", "support-answers")
    decisions = json.loads(exported.stdout)["decisions"]
    assert [(d["option"], d["note"]) for d in decisions] == [
        ("A", "Bigger model for two weeks, then we compare")
    ]


def test_scripted_choice_of_what_counts_as_wrong_with_buttons(tmp_path: Path) -> None:
    out = play_script(tmp_path, "checks.txt", "tests/fixtures/evals/real/promptfoo.json")

    (dropped,) = answers_to(out, "drop tests/fixtures/evals/real/promptfoo.json")
    assert "Checks in this file" in dropped and "[ Count length ]" in dropped
    assert "[ Don't count groundedness ]" in dropped and "[ Count latency ]" not in dropped
    counted, again = answers_to(out, "press Count length")
    assert "bot (edited)" in counted and "[ Don't count length ]" in counted
    assert "now has 4 wrong answers in 11" in counted
    (dropped_one,) = answers_to(out, "as eng press Don't count groundedness")
    assert "@raj stopped counting `groundedness`" in dropped_one
    assert "now has 3 wrong answers in 11" in dropped_one
    (refused,) = answers_to(out, "as U0OTHER press Back to the default")
    assert "(only you) Only the feature's PM" in refused and "edited" not in refused
    (stale,) = answers_to(out, "press Count groundedness")  # drawn before the typed default
    # The typed default counts groundedness already: the older button is told it is so.
    assert "(only you) Already so: `groundedness` counts" in stale and "as @ana chose" in stale
    assert "now counts `length`" in again

    chosen = json.loads(run_cli(tmp_path, "export", "support-answers").stdout)
    assert chosen["feature"]["wrong_answer_checks"]["checks"] == [
        "cites-source",
        "groundedness",
        "length",
    ]
    assert [run["n_failed"] for run in chosen["eval_runs"]] == [4]


def test_scripted_edits_and_deletions_of_replies(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'groundline.db'}"
    script = (SCRIPTS / "edits.txt").read_text()
    result = run_cli(tmp_path, "playground", "--database", database, stdin=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    (edited,) = answers_to(out, "edit-last 5%")
    assert "You edited a reply I had already read" in edited and "at most 15%" in edited
    (deleted,) = answers_to(out, "delete-last")
    assert "You deleted a reply" in deleted and "a refund, and an annoyed customer" in deleted
    (read_again,) = answers_to(out, "as eng edit-last hand over to a human")
    assert "Noted: when unsure: hand over to a human" in read_again
    record = json.loads(run_cli(tmp_path, "export", "support-answers").stdout)
    assert record["targets"]["max_error_rate"] == 0.15
    assert record["targets"]["fallback"]["kind"] == "escalate_human"


def test_an_answer_that_starts_like_a_playground_verb_says_how_to_send_it(
    playground: tuple[Playground, list[str]],
) -> None:
    """People answer "drop it to 5%" or "press on with 10%": the verb finds no file or button,
    and the playground says how to send the line as a message instead of only refusing."""
    session, printed = playground
    for line in ("/kickoff Search", "10%"):
        session.handle(line)
    printed.clear()
    session.handle("drop it to 5%")
    assert printed == [
        "! There is no file at it to 5%. To send the line as a message: `say drop it to 5%`."
    ]
    printed.clear()
    session.handle("press on with a refund")
    assert printed[0].startswith("! No button “on with a refund”")
    assert printed[0].endswith("To send the line as a message: `say press on with a refund`.")
    printed.clear()
    session.handle("say drop it to 5%")  # and that works: it reaches the thread as typed
    thread = session.stage.kickoff_thread(session.channel)
    texts = [m.get("text") for m in session.stage.slack.messages(session.channel, thread)]
    assert "drop it to 5%" in texts

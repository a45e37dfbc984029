"""Status lines for `/align status` and the App Home tab."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain import checklist
from bot.domain.checklist import AGREED, REVIEW, Step
from bot.domain.mrkdwn import escape
from bot.domain.report import ReportModel
from bot.domain.report_text import headline
from bot.domain.targets import Targets
from bot.services.kickoff import agreed_version, current_version
from bot.services.outbox import Undelivered
from bot.slack.blocks import Block, context, header, section
from bot.slack.blocks.kickoff import bullets
from bot.slack.blocks.report import SLACK_STYLE
from bot.slack.blocks.undelivered import home_line
from bot.store.models import Feature

LISTED = 20  # features listed in one status or App Home view


def stage_words(feature: Feature) -> str:
    if feature.stage == AGREED:
        return "targets agreed"
    if feature.stage == REVIEW:
        return "awaiting sign-off"
    return f"kickoff in progress: {checklist.ITEMS[Step(feature.stage)].question.title}"


def unchecked_note(count: int) -> str:
    """Features left out of a list because Slack could not say who is in their channels."""
    noun, its = ("feature is", "its") if count == 1 else ("features are", "their")
    return (
        f"{count} more {noun} not listed: I couldn't check who is in {its} channel just now. "
        "Try again in a moment."
    )


def report_failure_words(error: str) -> str:
    """Why the last report is missing, with the fix when we know it."""
    text = f"Last report failed: `{escape(error[:120])}`."
    if error in ("not_in_channel", "channel_not_found", "is_archived"):
        text += " Invite me to the channel with `/invite @Groundline`; the next one will go out."
    else:
        text += " I gave up after several tries; the next scheduled one will try again."
    return text


def feature_blocks(
    feature: Feature,
    report_failure: str | None = None,
    latest: ReportModel | None = None,
    undelivered: Undelivered | None = None,
) -> list[Block]:
    blocks = _feature_blocks(feature)
    if latest is not None:
        blocks.append(context(headline(latest, SLACK_STYLE)))
    if report_failure is not None:
        blocks.append(context(report_failure_words(report_failure)))
    if undelivered is not None:
        blocks.append(context(home_line(undelivered.error, undelivered.channel_id)))
    return blocks


def _feature_blocks(feature: Feature) -> list[Block]:
    agreed = agreed_version(feature)
    where = f"in <#{feature.channel_id}> — {stage_words(feature)}"
    lines = [f"*{escape(feature.name)}* (`{feature.slug}`) {where}"]
    if agreed is not None:
        targets = Targets.model_validate(agreed.values_json)
        lines += bullets(targets)
        signers = ", ".join(
            f"<@{s.user_id}> ({'PM' if s.role == 'pm' else 'engineer'})" for s in agreed.signoffs
        )
        footer = f"Version {agreed.version}, signed by {signers}"
        current = current_version(feature)
        if current is not agreed:
            footer += f"; version {current.version} awaits sign-off"
        return [section("\n".join(lines)), context(footer)]
    return [section("\n".join(lines))]


def status_blocks(
    features: list[Feature],
    report_failures: Mapping[int, str] | None = None,
    latest: Mapping[int, ReportModel] | None = None,
    unchecked: int = 0,
    undelivered: Mapping[int, Undelivered] | None = None,
) -> list[Block]:
    """Up to LISTED features; `latest` holds the report model of those whose numbers to show;
    `unchecked` features were left out because Slack could not say who may see them."""
    more = [context(unchecked_note(unchecked))] if unchecked else []
    if not features:
        empty = "No features yet. Start one with `/kickoff <feature name> @pm @engineer`."
        return [section(empty), *more]
    blocks: list[Block] = []
    for feature in features[:LISTED]:
        failure = (report_failures or {}).get(feature.id)
        blocks += feature_blocks(
            feature, failure, (latest or {}).get(feature.id), (undelivered or {}).get(feature.id)
        )
    if len(features) > LISTED:
        blocks.append(
            context(f"…and {len(features) - LISTED} more; name one: `/align status <feature>`.")
        )
    return blocks + more


def status_text(
    features: list[Feature], report_failures: Mapping[int, str] | None = None, unchecked: int = 0
) -> str:
    more = [unchecked_note(unchecked)] if unchecked else []
    if not features:
        return "\n".join(["No features yet.", *more])
    failures = report_failures or {}
    return "\n".join(
        [
            *(
                f"{escape(f.name)} ({f.slug}): {stage_words(f)}"
                + (f"; last report failed: {escape(failures[f.id])}" if f.id in failures else "")
                for f in features
            ),
            *more,
        ]
    )


def home_view(
    features: list[Feature],
    report_failures: Mapping[int, str] | None = None,
    latest: Mapping[int, ReportModel] | None = None,
    unchecked: int = 0,
    undelivered: Mapping[int, Undelivered] | None = None,
) -> dict[str, Any]:
    blocks = status_blocks(features, report_failures, latest, unchecked, undelivered)
    return {"type": "home", "blocks": [header("Groundline"), *blocks][:100]}

"""Reframe a vague claim: find the feature, gather its agreed targets and latest run, word the
answer (a language model may reword our facts, never add a number), and queue the reply."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.mrkdwn import escape
from bot.domain.reframe import Claim, Dimension
from bot.domain.reframe_wording import Answer, answer
from bot.llm import MAX_CALL_SECONDS, LanguageModel, only_allowed_numbers, read_structured
from bot.services import kickoff
from bot.services.runs import judged_facts, latest_run
from bot.store.models import Feature

log = logging.getLogger(__name__)

MAX_WORDED_CHARS = 2500
SYSTEM = (
    "You reword facts about an AI feature into a short, friendly Slack reply (at most four "
    "sentences) answering a vague claim a teammate made. Use only the facts given. Every "
    "number you write must appear in the facts exactly as written there (same digits, same "
    "% or $ sign). Do not add numbers, estimates or percentages of your own. Keep the verdict "
    'and the options. Answer as JSON: {"text": "..."}.'
)


class Worded(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_WORDED_CHARS * 2)


@dataclass(frozen=True)
class Job:
    """One reply to write after the ack."""

    feature_id: int
    claim: Claim
    team_id: str
    channel_id: str
    thread_ts: str | None  # None: in the channel
    dedup_key: str
    asked_by: str | None = None  # shown above the reply for slash commands
    asked_text: str | None = None
    listening: bool = False
    response_url: str | None = None  # a slash command's: tells the asker if Slack refuses

    def to_json(self) -> dict[str, Any]:
        """For the inbox: the worker process runs the job."""
        fields = asdict(self)
        fields["claim"] = {"dimension": self.claim.dimension.value, "phrase": self.claim.phrase}
        return fields

    @classmethod
    def from_json(cls, fields: dict[str, Any]) -> Job:
        claim = Claim(Dimension(fields["claim"]["dimension"]), str(fields["claim"]["phrase"]))
        return cls(**{**fields, "claim": claim})


def feature_in_channel(
    session: Session, team_id: str, channel_id: str, *, listening_only: bool = False
) -> Feature | None:
    """The channel's feature; with several, the most recently started one."""
    query = select(Feature).where(Feature.team_id == team_id, Feature.channel_id == channel_id)
    if listening_only:
        query = query.where(Feature.listening.is_(True))
    return session.scalar(query.order_by(Feature.created_at.desc(), Feature.id.desc()).limit(1))


def compose(session: Session, feature: Feature, claim: Claim) -> Answer:
    """Our own answer, from the agreed targets and the latest run's stored aggregates."""
    version = kickoff.agreed_version(feature)
    targets = kickoff.targets_of(version) if version is not None else None
    run = latest_run(session, feature.id)
    budget = targets.max_latency_p95_ms if targets else None
    latest = judged_facts(session, run, budget) if run is not None else None
    return answer(escape(feature.name), claim, targets, latest)


def word(llm: LanguageModel | None, composed: Answer, timeout: float = MAX_CALL_SECONDS) -> str:
    """The model's wording when it keeps to our numbers; our template otherwise (no model,
    a timeout, an error, an odd answer, or a single number that is not one of the facts)."""
    if llm is None:
        return composed.text
    request = json.dumps({"facts": list(composed.facts), "draft": composed.text})
    worded = read_structured(llm, SYSTEM, request, Worded, min(timeout, MAX_CALL_SECONDS))
    if worded is None:
        return composed.text
    text = worded.text.strip()
    if not text or len(text) > MAX_WORDED_CHARS:
        return composed.text
    if not only_allowed_numbers(text, set(composed.facts)):
        log.info("the model's wording had a number that is not a fact; using our template")
        return composed.text
    # Our facts hold the escaped feature name; escape once, whatever the model did.
    plain = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return escape(plain)

"""Who may see a feature, act on it, and steer it. Every listener asks here; nothing else decides.

- **See** (status, report text, App Home, pointers to its thread): a feature is as visible as
  its channel. A public channel's feature: anyone in the workspace. A private channel's: only
  that channel's members. To anyone else it does not exist: they get the same answer as for a
  name nobody used, so its name is not given away either.
- **Act** (answers, edits, sign-offs, decision buttons and notes, `/align metric`, posting a
  report, reframes): a member of the feature's channel, public or private.
- **Steer** (upload tokens and their revocation, the report schedule, listening mode, what
  counts as a wrong answer): a member of the channel who is also its PM, its engineer,
  someone who signed any version of its targets, or whoever started the kickoff.

Membership comes from Slack (conversations.info for is_private, conversations.members), through
a `Directory` that caches it briefly. When Slack cannot say (the bot was removed from a private
channel, a rate limit, a timeout) we do not guess: the request is refused with a reply that says
so and that nothing was done, and listings leave such features out and say how many.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy.orm import Session

from bot.domain.mrkdwn import escape
from bot.errors import Forbidden, NotFound, NotReadyYet, UserFacingError
from bot.services import kickoff
from bot.store.models import Feature


class Need(StrEnum):
    SEE = "see"
    ACT = "act"
    STEER = "steer"


class DirectoryUnavailable(Exception):
    """Slack could not tell us who is in a channel; `error` is Slack's code (or ours)."""

    def __init__(self, channel_id: str, error: str) -> None:
        super().__init__(f"{channel_id}: {error}")
        self.channel_id = channel_id
        self.error = error


class Directory(Protocol):
    """Who is in a channel, as Slack says (bot/slack/directory.py); may raise
    DirectoryUnavailable."""

    def is_private(self, team_id: str, channel_id: str) -> bool: ...

    def is_member(self, team_id: str, channel_id: str, user_id: str) -> bool: ...


class LookupNeeded(Exception):
    """Raised by the directory, instead of asking Slack, while lookups are deferred: a
    transaction is open (the inbox worker's), and no Slack call may happen inside one. The
    worker rolls back, asks (`ask`) with none open, and handles the item again with the
    answer cached, or with Slack's failure to say, which `require` then treats as ever."""

    def __init__(self, team_id: str, channel_id: str, user_id: str | None) -> None:
        super().__init__(f"{team_id}/{channel_id}/{user_id or '-'}")
        self.team_id, self.channel_id, self.user_id = team_id, channel_id, user_id

    def ask(self, directory: Directory) -> DirectoryUnavailable | None:
        """Ask Slack now, so the answer is cached; Slack's failure to say, if it failed."""
        try:
            directory.is_private(self.team_id, self.channel_id)
            if self.user_id is not None:
                directory.is_member(self.team_id, self.channel_id, self.user_id)
        except DirectoryUnavailable as failed:
            return failed
        return None


_deferring = threading.local()


@contextmanager
def lookups_deferred(failed: DirectoryUnavailable | None = None) -> Iterator[None]:
    """Inside (this thread only), a lookup the directory has not cached raises LookupNeeded,
    or `failed` (what Slack said when it was just asked outside) instead of asking again."""
    _deferring.state = failed if failed is not None else True
    try:
        yield
    finally:
        _deferring.state = None


def before_slack_lookup(team_id: str, channel_id: str, user_id: str | None) -> None:
    """The directory calls this before it asks Slack: raises while lookups are deferred."""
    state = getattr(_deferring, "state", None)
    if isinstance(state, DirectoryUnavailable):
        raise state
    if state:
        raise LookupNeeded(team_id, channel_id, user_id)


# Slack's answers that will not change by asking again soon.
LASTING = frozenset({"channel_not_found", "not_in_channel", "not_installed", "missing_scope"})


class AccessUnknown(UserFacingError):
    """We could not check, so we refused: failing closed, with the reason."""

    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient  # a rate limit or a timeout: asking again later may work


def no_feature(key: str) -> str:
    """The one answer for a feature that does not exist, or that this person may not see."""
    return (
        f"No feature called `{escape(key[:80])}` here. `/align status` lists the ones you can see."
    )


def steerers(feature: Feature) -> set[str]:
    """Who may change how a feature is run: its PM, its engineer, anyone who signed a version,
    and whoever started the kickoff."""
    people = {feature.pm_user_id, feature.engineer_user_id, feature.created_by}
    people |= {s.user_id for v in feature.target_versions for s in v.signoffs}
    return {person for person in people if person}


def require(directory: Directory, feature: Feature, user_id: str, need: Need, hidden: str) -> None:
    """Raise unless `user_id` may do what `need` says; `hidden` is said when the feature is
    private to a channel they are not in (it reads as "no such feature")."""
    try:
        private = directory.is_private(feature.team_id, feature.channel_id)
        if need is Need.SEE and not private:
            return
        member = directory.is_member(feature.team_id, feature.channel_id, user_id)
    except DirectoryUnavailable as exc:
        raise AccessUnknown(unknown(exc), transient=exc.error not in LASTING) from None
    if not member:
        if private:
            raise NotFound(hidden)
        raise Forbidden(
            f"Only members of <#{feature.channel_id}> can do that for *{escape(feature.name)}*. "
            "Join the channel first."
        )
    if need is Need.STEER and user_id not in steerers(feature):
        who = " or ".join(f"<@{person}>" for person in sorted(steerers(feature)))
        raise Forbidden(
            f"Only the feature's PM, its engineer, someone who signed its targets or whoever "
            f"started its kickoff can change that for *{escape(feature.name)}* ({who}). "
            "Ask one of them."
        )


class SlackUnsure(NotReadyYet):
    """Slack could not say just now, for work after the ack: the inbox tries it again later
    (with backoff) rather than refusing what someone typed."""


def require_after_ack(
    directory: Directory, feature: Feature, user_id: str, need: Need, hidden: str
) -> None:
    """`require`, for stored work: a rate limit or a timeout raises SlackUnsure (retried);
    a refusal, or Slack saying it cannot see the channel, raises the reply as `require` does."""
    try:
        require(directory, feature, user_id, need, hidden)
    except AccessUnknown as unsure:
        if unsure.transient:
            raise SlackUnsure(unsure.message) from None
        raise


def find(
    session: Session, directory: Directory, team_id: str, key: str, user_id: str, need: Need
) -> Feature:
    """The feature named `key` (id or slug) in this workspace, if this person may `need` it."""
    feature = kickoff.get_feature(session, team_id, key)
    if feature is None:
        raise NotFound(no_feature(key))
    require(directory, feature, user_id, need, hidden=no_feature(key))
    return feature


@dataclass(frozen=True)
class Visible:
    features: list[Feature]
    unchecked: int  # left out because Slack could not say who is in their channel


def visible(directory: Directory, features: Iterable[Feature], user_id: str) -> Visible:
    """The features this person may see, in the given order."""
    shown: list[Feature] = []
    unchecked = 0
    for feature in features:
        try:
            require(directory, feature, user_id, Need.SEE, hidden="")
        except AccessUnknown:
            unchecked += 1
            continue
        except NotFound:
            continue
        shown.append(feature)
    return Visible(shown, unchecked)


def unknown(exc: DirectoryUnavailable) -> str:
    """Why we refused without knowing. Names no feature: we don't know who is asking."""
    if exc.error == "missing_scope":
        return (
            "I couldn't check who is in that feature's channel: this install lacks Slack's "
            "`channels:read` / `groups:read` permission. Nothing was done; an admin can "
            "reinstall the app from its manifest."
        )
    if exc.error in LASTING:
        return (
            f"I couldn't check who is in that feature's channel: Slack says I can't see "
            f"<#{exc.channel_id}> (`{escape(exc.error)}`), perhaps because I was removed from it. "
            "Nothing was done. A member can invite me back with `/invite @Groundline`."
        )
    return (
        "I couldn't check who is in that feature's channel just now "
        f"(Slack answered `{escape(exc.error)}`), so I did nothing. Please try again in a moment."
    )

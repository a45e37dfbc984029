"""Our words when Slack will not take a message: what went wrong, and what fixes it.

Used for the notice posted where a malformed message should have been, the private reply
through the response_url of the command, click or form that asked for the post (`not_posted`),
and App Home and `/align status`, which show a feature's last undelivered message until a later
one gets through.
"""

from __future__ import annotations

from bot.domain.mrkdwn import escape

NOTICE_KEY = "undelivered:"  # dedup key prefix of a notice about another outbox row
INVITE = "Invite me with `/invite @Groundline`"
NO_ACCESS = ("invalid_auth", "token_revoked", "account_inactive", "not_installed")


def reason(error: str, channel_id: str | None = None) -> str:
    """Why, in a few words, with the fix when there is one."""
    channel = f"<#{channel_id}>" if channel_id else "that channel"
    code = f"`{escape(error[:60])}`"
    if error == "not_in_channel":
        return f"I'm not a member of {channel}. {INVITE}"
    if error == "channel_not_found":
        return (
            f"I can't see {channel} (it was deleted, or it is private and I'm not in it). {INVITE}"
        )
    if error == "is_archived":
        return f"{channel} is archived. Unarchive it, or use another channel"
    if error in NO_ACCESS:
        return (
            f"my access to this workspace is gone (Slack said {code}). Reinstall Groundline, "
            "or give it a fresh bot token"
        )
    if error == "msg_too_long":
        return "Slack said the message was too long"
    if error in ("invalid_blocks", "no_text"):
        return f"Slack refused the message's layout ({code})"
    if error in ("thread_pending", "report_pending"):
        return "the message it belongs under was never posted"
    return f"Slack kept refusing it ({code}), and I gave up after several tries"


def notice(row_id: int, error: str, channel_id: str | None = None) -> str:
    """Said in the place a message could not go (or privately, to the person who asked)."""
    return (
        f"I couldn't deliver a message here: {reason(error, channel_id)}. "
        f"(It is kept as `outbox-{row_id}`.)"
    )


def not_posted(what: str, kept: str, error: str, channel_id: str, row_id: int) -> str:
    """To the person who asked for a post Slack refused for good, through their request's
    response_url: which post, why, the fix, and what is stored all the same."""
    told = f"I couldn't post {what} in <#{channel_id}>: {reason(error, channel_id)}."
    if kept:
        told += f" {kept}"
    return f"{told} (It is kept as `outbox-{row_id}`.)"


def kickoff_not_started(name: str, error: str, channel_id: str) -> str:
    """To the person who ran /kickoff: nothing was kept, so the same name works again."""
    return (
        f"The kickoff for *{name}* did not start: {reason(error, channel_id)}. Nothing was "
        f"kept, so `/kickoff {name}` works again once that is fixed."
    )


def home_line(error: str, channel_id: str) -> str:
    """A feature's last undelivered message, for App Home and `/align status`."""
    return f"A message I sent could not be delivered: {reason(error, channel_id)}."

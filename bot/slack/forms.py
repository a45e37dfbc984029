"""Opening a form (a modal) from a press. A trigger_id lives three seconds and can be used once
(https://api.slack.com/docs/triggers), so views.open is tried once, briefly: waiting out a 429's
Retry-After or retrying a 5xx (what our usual client does) only holds the press's answer past
Slack's 3 s, and the form never opens. When Slack does not open it, the person is told why and
what the press kept, in place of "something went wrong on our side"."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import UserFacingError

OPEN_TIMEOUT_SECONDS = 2  # an int: WebClient's timeout
NOTHING_CHANGED = "Nothing was changed"
_TOO_LATE = {"expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id", "trigger_expired"}


class FormNotOpened(UserFacingError):
    """Slack did not open the form a press asked for."""


def open_form(
    client: WebClient, trigger_id: str, view: dict[str, Any], kept: str = NOTHING_CHANGED
) -> None:
    """views.open once, on the request's token; `kept` says what the press stored all the
    same ("Nothing was changed", or "Your choice is recorded")."""
    once = WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=OPEN_TIMEOUT_SECONDS,
        retry_handlers=[],
    )
    try:
        once.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as refused:
        raise FormNotOpened(_refusal(_why(refused), kept)) from None
    except OSError:  # a timeout or a connection Slack dropped
        raise FormNotOpened(_refusal("Slack did not answer in time", kept)) from None


def _why(refused: SlackApiError) -> str:
    response = refused.response
    error = str(response.get("error") or "")
    if response.status_code == 429 or error == "ratelimited":
        return "Slack is busy and asked me to slow down"
    if error in _TOO_LATE:
        return "your press took too long to reach me, and Slack lets a form open only just after it"
    if response.status_code >= 500:
        return "Slack did not answer"
    return f"Slack said `{error or response.status_code}`"


def _refusal(why: str, kept: str) -> str:
    return f"I couldn't open the form: {why}. {kept}; press the button again in a moment."

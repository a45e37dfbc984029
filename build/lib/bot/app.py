"""create_app: builds the Bolt app from its dependencies; nothing is registered at import time."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.deps import AlreadyHandled, Deps
from bot.errors import UserFacingError
from bot.services import outbox
from bot.slack import listeners

log = logging.getLogger(__name__)


def make_web_client(deps: Deps, token: str | None = None) -> WebClient:
    """The one way we build a Slack client: SLACK_API_URL, retries on 429 (Retry-After) and 5xx."""
    settings = deps.settings
    if token is None and settings.SLACK_BOT_TOKEN is not None:
        token = settings.SLACK_BOT_TOKEN.get_secret_value()
    client = WebClient(token=token, base_url=settings.SLACK_API_URL, timeout=10)
    client.retry_handlers.extend(
        [RateLimitErrorRetryHandler(max_retry_count=3), ServerErrorRetryHandler(max_retry_count=3)]
    )
    return client


def create_app(
    deps: Deps, *, client: WebClient | None = None, oauth_settings: OAuthSettings | None = None
) -> App:
    """Single workspace (bot token on the client) or, with `oauth_settings`, many workspaces
    whose tokens Bolt looks up per request from the installation store."""
    settings = deps.settings
    signing_secret = settings.SLACK_SIGNING_SECRET
    app = App(
        client=client or make_web_client(deps),
        oauth_settings=oauth_settings,
        signing_secret=signing_secret.get_secret_value() if signing_secret else None,
        # Ack as soon as the listener returns; slow work goes to the outbox worker or lazy
        # listeners. Bolt's default polls for the ack every 10 ms, which we must not pay.
        process_before_response=True,
        token_verification_enabled=False,
        request_verification_enabled=signing_secret is not None,
        raise_error_for_unhandled_request=False,
    )
    app.error(_error_handler(deps))
    listeners.register(app, deps)
    if oauth_settings is not None:
        # Uninstalls and revoked tokens remove the stored tokens (Bolt's own listeners).
        app.enable_token_revocation_listeners()
    return app


def _error_handler(deps: Deps) -> Any:
    def handle(error: Exception, body: dict[str, Any]) -> BoltResponse:
        if isinstance(error, AlreadyHandled):
            log.info("skipped a repeated Slack delivery")
            return BoltResponse(status=200, body="")
        if isinstance(error, UserFacingError):
            message = error.message
        else:
            error_id = uuid.uuid4().hex[:8]
            log.error("unhandled error %s", error_id, exc_info=error)
            message = (
                f"Sorry, something went wrong on our side (error id `{error_id}`). "
                "Nothing you typed was lost; please try again in a moment."
            )
        if "command" in body:  # a slash command: the HTTP response itself is the ephemeral reply
            payload = {"response_type": "ephemeral", "text": message}
            return BoltResponse(
                status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
            )
        target = outbox.ReplyTarget.from_body(body)
        if target is not None:
            with deps.unit_of_work() as session:
                outbox.ephemeral(session, deps.clock, target, message)
        return BoltResponse(status=200, body="")

    return handle

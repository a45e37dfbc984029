"""create_app: builds the Bolt app from its dependencies; nothing is registered at import time."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.deps import Deps
from bot.slack import failures, listeners, middleware
from bot.unit_of_work import RequestWork

log = logging.getLogger(__name__)


def make_web_client(
    deps: Deps, token: str | None = None, *, wait_on_rate_limits: bool = True
) -> WebClient:
    """The one way we build a Slack client: SLACK_API_URL, retries on 429 (Retry-After) and 5xx.

    The outbox's client does not wait on 429 inside the call (`wait_on_rate_limits=False`): it
    reschedules the row for when Slack said, so only that channel waits (bot/jobs/delivery)."""
    settings = deps.settings
    if token is None and settings.SLACK_BOT_TOKEN is not None:
        token = settings.SLACK_BOT_TOKEN.get_secret_value()
    client = WebClient(token=token, base_url=settings.SLACK_API_URL, timeout=10)
    if wait_on_rate_limits:
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=3))
    client.retry_handlers.append(ServerErrorRetryHandler(max_retry_count=3))
    return client


class GroundlineApp(App):
    """Bolt's App, plus the end of each request's unit of work (bot/slack/middleware.py): it
    is committed after the listener returns and before the HTTP answer leaves, and an answer
    whose commit failed is replaced by one that says so."""

    def __init__(self, deps: Deps, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deps = deps

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        try:
            response: BoltResponse = super().dispatch(req)
        except BaseException:
            middleware.finish(req, ok=False)
            raise
        work = req.context.get(middleware.WORK)
        if isinstance(work, RequestWork):
            try:
                work.finish(ok=True)
            except Exception as error:
                return failures.commit_failed(self.deps, req.body, error)
        return response


def create_app(
    deps: Deps, *, client: WebClient | None = None, oauth_settings: OAuthSettings | None = None
) -> App:
    """Single workspace (bot token on the client) or, with `oauth_settings`, many workspaces
    whose tokens Bolt looks up per request from the installation store."""
    settings = deps.settings
    signing_secret = settings.SLACK_SIGNING_SECRET
    app = GroundlineApp(
        deps,
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
    app.error(failures.error_handler(deps))
    middleware.install(app, deps)
    listeners.register(app, deps)
    if oauth_settings is not None:
        # Uninstalls and revoked tokens remove the stored tokens (Bolt's own listeners).
        app.enable_token_revocation_listeners()
    return app

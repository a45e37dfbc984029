"""Multi-workspace install: Bolt's OAuth flow with slack_sdk's SQLAlchemy stores."""

from __future__ import annotations

from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from bot.config import Settings

# Mirrors manifest.yml's bot scopes (tests/test_manifest.py checks they agree).
BOT_SCOPES = [
    "commands",
    "chat:write",
    "channels:history",
    "groups:history",
    "channels:read",
    "groups:read",
    "users:read",
    "files:read",
    "files:write",
    "reactions:read",
]
STATE_EXPIRY_SECONDS = 600


def installation_store(settings: Settings, engine: Engine) -> SQLAlchemyInstallationStore:
    assert settings.SLACK_CLIENT_ID is not None
    return SQLAlchemyInstallationStore(client_id=settings.SLACK_CLIENT_ID, engine=engine)


def installed_bot_token(store: SQLAlchemyInstallationStore, team_id: str) -> str | None:
    bot = store.find_bot(enterprise_id=None, team_id=team_id)
    return bot.bot_token if bot is not None else None


def oauth_settings(
    settings: Settings, engine: Engine, store: SQLAlchemyInstallationStore
) -> OAuthSettings:
    assert settings.SLACK_CLIENT_SECRET is not None and settings.SLACK_STATE_SECRET is not None
    return OAuthSettings(
        client_id=settings.SLACK_CLIENT_ID,
        client_secret=settings.SLACK_CLIENT_SECRET.get_secret_value(),
        scopes=BOT_SCOPES,
        installation_store=store,
        state_store=SQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_EXPIRY_SECONDS, engine=engine
        ),
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
    )

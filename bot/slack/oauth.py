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
    """slack_sdk's store; with GROUNDLINE_ENCRYPTION_KEY, one that encrypts the tokens. A key
    that cannot read the stored tokens (or encrypted tokens and no key) fails here, at start."""
    # Imported here: only OAuth installs load `cryptography` (memory matters in serve).
    from bot.store.sealed import SealedInstallationStore, Sealer, check_stored, read_keys

    assert settings.SLACK_CLIENT_ID is not None
    store: SQLAlchemyInstallationStore
    sealer = None
    keys = read_keys(settings.GROUNDLINE_ENCRYPTION_KEY)
    if keys is not None:
        sealer = Sealer(keys)
        store = SealedInstallationStore(settings.SLACK_CLIENT_ID, engine, sealer)
    else:
        store = SQLAlchemyInstallationStore(client_id=settings.SLACK_CLIENT_ID, engine=engine)
    check_stored(store, sealer)
    return store


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

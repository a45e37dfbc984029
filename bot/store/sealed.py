"""OAuth tokens at rest: encrypted with Fernet (the `cryptography` package: AES-128-CBC with an
HMAC-SHA256, so a changed or truncated value is refused, not misread) when
GROUNDLINE_ENCRYPTION_KEY is set. Several keys, comma-separated, allow a rotation: the first
encrypts, any of them decrypts.

Without a key the tokens are stored as Slack gave them (README, "Secrets"). A value written
before the key was set is read as it is and encrypted at the next start (`check_stored`).
"""

from __future__ import annotations

import copy
import logging
from typing import Any, TypeVar

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Engine, Table, select

from bot.errors import ConfigError

log = logging.getLogger(__name__)

MARK = "gl-fernet:"  # stored values that start with this are ciphertext
SECRET_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
COLUMN_CHARS = 200  # slack_sdk's String(200) token columns
KEY_SETTING = "GROUNDLINE_ENCRYPTION_KEY"
Entity = TypeVar("Entity", Installation, Bot)


def read_keys(value: SecretStr | None) -> MultiFernet | None:
    if value is None:
        return None
    keys = [key.strip() for key in value.get_secret_value().split(",") if key.strip()]
    if not keys:
        raise ConfigError(KEY_SETTING, "is empty")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError:
        raise ConfigError(
            KEY_SETTING,
            "is not a Fernet key (32 url-safe base64-encoded bytes); make one with "
            '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key()'
            '.decode())"`',
        ) from None


class Sealer:
    def __init__(self, keys: MultiFernet) -> None:
        self._keys = keys

    def seal(self, value: str | None) -> str | None:
        if value is None or value.startswith(MARK):
            return value
        sealed = MARK + self._keys.encrypt(value.encode("utf-8")).decode("ascii")
        if len(sealed) > COLUMN_CHARS:
            # Only rotating tokens are this long; manifest.yml keeps token rotation off.
            raise ValueError(f"a token too long to store encrypted ({len(value)} characters)")
        return sealed

    def open(self, value: str | None) -> str | None:
        if value is None or not value.startswith(MARK):
            return value  # stored before the key was set: encrypted at the next start
        try:
            return self._keys.decrypt(value[len(MARK) :].encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise ConfigError(
                KEY_SETTING, "does not decrypt the stored OAuth tokens (was the key changed?)"
            ) from None

    def apply(self, entity: Entity, how: Any) -> Entity:
        changed = copy.copy(entity)
        for name in SECRET_FIELDS:
            if hasattr(changed, name):
                setattr(changed, name, how(getattr(changed, name)))
        return changed


class SealedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store, with the token fields sealed on the way in and opened on the way
    out; everything else (queries, tables, Bolt's use of it) is the library's own."""

    def __init__(self, client_id: str, engine: Engine, sealer: Sealer) -> None:
        super().__init__(client_id=client_id, engine=engine)
        self.sealer = sealer

    def save(self, installation: Installation) -> None:
        super().save(self.sealer.apply(installation, self.sealer.seal))

    def save_bot(self, bot: Bot) -> None:
        super().save_bot(self.sealer.apply(bot, self.sealer.seal))

    # The library's classmethods, as instance methods that can reach the key: it calls them as
    # `self.build_…(row)`.
    def build_installation_entity(self, row: Any) -> Installation:  # type: ignore[override]
        opened: Installation = self.sealer.apply(
            SQLAlchemyInstallationStore.build_installation_entity(row), self.sealer.open
        )
        return opened

    def build_bot_entity(self, row: Any) -> Bot:  # type: ignore[override]
        opened: Bot = self.sealer.apply(
            SQLAlchemyInstallationStore.build_bot_entity(row), self.sealer.open
        )
        return opened


def check_stored(store: SQLAlchemyInstallationStore, sealer: Sealer | None) -> None:
    """At start: a key that cannot read what is stored, or encrypted tokens and no key, is a
    clear failure now rather than `invalid_auth` at the first request. With a key, tokens
    stored in plain text (before it was set) are encrypted in place."""
    tables: list[Table] = [store.installations, store.bots]
    with store.engine.begin() as connection:
        for table in tables:
            columns = [table.c[name] for name in SECRET_FIELDS if name in table.c]
            rows = connection.execute(select(table.c.id, *columns)).mappings().all()
            for row in rows:
                values = {name: row[name] for name in row if name != "id"}
                if sealer is None:
                    if any(str(v or "").startswith(MARK) for v in values.values()):
                        raise ConfigError(
                            KEY_SETTING,
                            "is not set, but the stored OAuth tokens are encrypted with one",
                        )
                    continue
                for value in values.values():
                    sealer.open(value)  # raises ConfigError on a wrong key
                plain = {k: v for k, v in values.items() if v and not str(v).startswith(MARK)}
                if plain:
                    sealed = {k: sealer.seal(v) for k, v in plain.items()}
                    connection.execute(table.update().where(table.c.id == row["id"]), sealed)
                    log.info("encrypted the OAuth tokens stored before the key was set")

"""Logging set up once, in the entry point, with secrets scrubbed from every line it writes.

Two nets: every token shape we know (Slack's `xox…-` and `xapp-`, OpenAI's `sk-`, our upload
tokens' `gl_`) wherever it appears, and the exact values of the configured secrets, which have
no recognisable shape (signing secret, client and state secrets, the encryption key, the
database password). The whole formatted line is scrubbed, tracebacks included, because Bolt at
DEBUG logs request and response bodies (a new upload token among them).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from pydantic import SecretStr
from sqlalchemy.engine import make_url

SECRET = re.compile(r"(?<![A-Za-z0-9])(xox[abposre]-|xoxe\.|xapp-|sk-|gl_)[A-Za-z0-9._-]{4,}")
SHORTEST_VALUE = 6  # shorter configured values would redact ordinary words
REDACTED = "[redacted]"


def scrub(text: str, values: Iterable[str] = ()) -> str:
    for value in values:
        text = text.replace(value, REDACTED)
    return SECRET.sub(lambda found: found.group(1) + REDACTED, text)


class RedactingFormatter(logging.Formatter):
    """Tokens and secrets must never reach a log, even through a library's debug output."""

    def __init__(self, fmt: str, values: Iterable[str] = ()) -> None:
        super().__init__(fmt)
        # Longest first, so a value that contains another is redacted whole.
        self.values = sorted({v for v in values if len(v) >= SHORTEST_VALUE}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record), self.values)


class DropNotices(logging.Filter):
    """Bolt warns at every start that our own client's token wins over SLACK_BOT_TOKEN, which
    it reads from the environment by itself: true, intended, and noise in a one-line failure."""

    NOTICES = ("As you gave `client` as well, `token` will be unused.",)

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self.NOTICES


def secret_values(*secrets: SecretStr | None, database_url: str | None = None) -> list[str]:
    """The plain values to scrub: each secret (and each key of a comma-separated list)."""
    values: list[str] = []
    for secret in secrets:
        if secret is not None:
            plain = secret.get_secret_value()
            values += [plain, *(part.strip() for part in plain.split(","))]
    if database_url:
        try:
            password = make_url(database_url).password
        except Exception:  # a malformed URL is refused elsewhere; nothing to add here
            password = None
        if password:
            values.append(str(password))
    return [value for value in values if value]


def configure(level: str, secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    handler.addFilter(DropNotices())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # slack_sdk prints request headers (the bot token) at DEBUG; never let that through.
    logging.getLogger("slack_sdk").setLevel(max(logging.INFO, root.level))
    # Alembic announces every plugin and migration step at INFO, uvicorn every start-up and
    # shutdown step; that is noise in our logs.
    for chatty in ("alembic", "uvicorn.error"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))

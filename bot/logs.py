"""Logging set up once, in the entry point, with secrets scrubbed from every record."""

from __future__ import annotations

import logging
import re

SECRET = re.compile(r"(xox[abposr]-|xapp-|sk-)[A-Za-z0-9-_]{4,}")


class RedactSecrets(logging.Filter):
    """Tokens must never reach a log, even through a library's debug output."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if SECRET.search(message):
            record.msg = SECRET.sub(r"\1[redacted]", message)
            record.args = None
        return True


class DropNotices(logging.Filter):
    """Bolt warns at every start that our own client's token wins over SLACK_BOT_TOKEN, which
    it reads from the environment by itself: true, intended, and noise in a one-line failure."""

    NOTICES = ("As you gave `client` as well, `token` will be unused.",)

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self.NOTICES


def configure(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    handler.addFilter(DropNotices())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # slack_sdk prints request headers (the bot token) at DEBUG; never let that through.
    logging.getLogger("slack_sdk").setLevel(max(logging.INFO, root.level))
    # Alembic announces every plugin and migration step at INFO; that is noise in our logs.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))

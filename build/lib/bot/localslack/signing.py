"""Request signing exactly as Slack does it for HTTP-mode apps."""

from __future__ import annotations

import hashlib
import hmac


def signature(signing_secret: str, body: bytes, timestamp: int) -> str:
    base = b"v0:" + str(timestamp).encode("ascii") + b":" + body
    digest = hmac.new(signing_secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return f"v0={digest}"


def sign(signing_secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """The two headers Slack adds to every request it sends to an app."""
    return {
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature(signing_secret, body, timestamp),
    }

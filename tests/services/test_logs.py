"""The log scrubber: token shapes anywhere in a line (tracebacks included) and the configured
secrets' exact values, without eating ordinary words."""

from __future__ import annotations

import logging

from pydantic import SecretStr

from bot.logs import RedactingFormatter, scrub, secret_values


def test_token_shapes_are_redacted_wherever_they_are() -> None:
    line = (
        'response body: {"text": "token `gl_AbC-12_xyz890` ok"} auth=Bearer xoxb-1-2-abc '
        "refresh xoxe-1-Zm9v rotated xoxe.xoxb-1-QQQ app xapp-1-A1-2-b key sk-proj-abcdef"
    )
    cleaned = scrub(line)
    for token in ("gl_AbC", "xoxb-1-2", "xoxe-1-Zm9v", "xoxb-1-QQQ", "xapp-1-A1", "sk-proj"):
        assert token not in cleaned, token
    assert cleaned.count("[redacted]") == 6


def test_words_that_merely_contain_a_prefix_stay() -> None:
    assert (
        scrub("task-abc123 and desk-lamp and gl_ alone")
        == "task-abc123 and desk-lamp and gl_ alone"
    )


def test_configured_values_are_redacted_in_messages_and_tracebacks() -> None:
    values = secret_values(
        SecretStr("plain-signing-secret"),
        SecretStr("key-one-0123456789,key-two-0123456789"),
        None,
        database_url="postgresql+psycopg://app:db-password-1@db:5432/groundline",
    )
    formatter = RedactingFormatter("%(message)s", values)
    try:
        raise RuntimeError("could not use key-two-0123456789 with db-password-1")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "secret %s", ("plain-signing-secret",), sys.exc_info()
        )
    text = formatter.format(record)
    assert "plain-signing-secret" not in text and "key-two" not in text
    assert "db-password-1" not in text and "RuntimeError" in text

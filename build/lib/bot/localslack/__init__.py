"""A loopback stand-in for Slack, for the playground and the tests."""

from bot.localslack.calls import RecordedCall
from bot.localslack.driver import Delivered, SlackDriver
from bot.localslack.payloads import buttons
from bot.localslack.server import LocalSlack
from bot.localslack.signing import sign
from bot.localslack.spec import SpecViolation

__all__ = [
    "Delivered",
    "LocalSlack",
    "RecordedCall",
    "SlackDriver",
    "SpecViolation",
    "buttons",
    "sign",
]

"""LocalOpenAI: a loopback stand-in for OpenAI's chat completions endpoint, for tests."""

from bot.localopenai.server import LocalOpenAI

__all__ = ["LocalOpenAI"]

"""What a person said, as the bot reads it: the text as they wrote it, plus where Slack markup
(a mention, a channel, a link, an @here) sits in it, so readers never take a link's digits for
a number or a mention for a comparison. Built from Slack's wire format by `bot/slack/text.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Markup(StrEnum):
    USER = "user"  # <@U123> or <@U123|ana>
    CHANNEL = "channel"  # <#C123|general>
    BROADCAST = "broadcast"  # <!here>, <!channel>, <!everyone>
    USERGROUP = "usergroup"  # <!subteam^S123|@oncall>
    LINK = "link"  # <https://…|label>, <mailto:…>


@dataclass(frozen=True)
class Span:
    kind: Markup
    start: int  # in Said.text
    end: int
    target: str  # the user, channel or group id, the URL, or here/channel/everyone


@dataclass(frozen=True)
class Said:
    """`text` is readable and decoded: "@ana", "#legal", "@here", a link's label; `&`, `<` and
    `>` are the characters the person typed. Store it, quote it (escaped), read it."""

    text: str
    spans: tuple[Span, ...] = field(default=())

    @classmethod
    def plain(cls, text: str) -> Said:
        """Text with no markup in it (a modal's input, a test's words)."""
        return cls(text)

    @property
    def mentions(self) -> tuple[str, ...]:
        """The user ids mentioned, in order."""
        return tuple(span.target for span in self.spans if span.kind is Markup.USER)

    def without_markup(self) -> str:
        """The text with every markup span blanked out (same length, so offsets still match)."""
        chars = list(self.text)
        for span in self.spans:
            chars[span.start : span.end] = " " * (span.end - span.start)
        return "".join(chars)

    def text_without(self, kind: Markup) -> str:
        """The text with every span of one kind cut out ("Support answers @ana" → "Support
        answers ")."""
        kept, last = [], 0
        for span in self.spans:
            if span.kind is kind:
                kept.append(self.text[last : span.start])
                last = span.end
        return "".join(kept) + self.text[last:]

    def strip(self) -> Said:
        """Leading and trailing whitespace removed, spans moved along."""
        start = len(self.text) - len(self.text.lstrip())
        text = self.text.strip()
        spans = tuple(
            Span(s.kind, s.start - start, s.end - start, s.target)
            for s in self.spans
            if s.start >= start and s.end - start <= len(text)
        )
        return Said(text, spans)

    def starts_with_mention_of(self, exclude: str | None = None) -> str | None:
        """The user a message opens by addressing ("@raj did security look?"), if any."""
        first = next((s for s in self.spans if s.start == 0), None)
        if first is None or first.kind is not Markup.USER or first.target == exclude:
            return None
        return first.target

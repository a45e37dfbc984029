"""A small incremental walker over one big JSON document, so a 50,000-case file is never held whole.

The caller steers: `members()` walks an object's keys, `items()` an array's elements, and for
each one the caller takes the value with `value()` (decoded whole) or `skip()` (walked and
dropped) or descends with `members()`/`items()`. Decoding of each value uses the stdlib's C
scanner (`raw_decode`); only the text of the current value needs to sit in memory.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterator
from typing import Any

from bot.ingest.model import IngestError

CHUNK = 1 << 16
WHITESPACE = " \t\n\r"


class JsonStream:
    def __init__(
        self, read: Callable[[int], bytes], name: str, max_value_chars: int | None = None
    ) -> None:
        """`max_value_chars`: the most text one value may span before it is refused. A zip
        member inflates, so its size says nothing of the upload's: without a bound, one sample
        a few hundred kilobytes packed would be held whole at hundreds of megabytes."""
        self._read = read
        self._name = name
        self._max_value = max_value_chars
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._json = json.JSONDecoder()
        self._buf = ""
        self._pos = 0
        self._base_bytes = 0  # bytes of text already dropped from the front of the buffer
        self._bytes_read = 0
        self._eof = False

    # -- buffer -----------------------------------------------------------------------
    def _more(self, at_least: int = CHUNK) -> bool:
        """Append the next chunk of text; False once the input is used up."""
        if self._eof:
            return False
        if self._pos:
            dropped = self._buf[: self._pos]
            self._base_bytes += len(dropped.encode("utf-8"))
            self._buf = self._buf[self._pos :]
            self._pos = 0
        data = self._read_at_least(max(at_least, CHUNK))
        try:
            text = self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            where = self._bytes_read + exc.start
            raise IngestError(f"{self._name}: not valid UTF-8 at byte {where}") from None
        self._bytes_read += len(data)
        self._buf += text
        if not data:
            self._eof = True
        return True

    def _read_at_least(self, size: int) -> bytes:
        """Gather `size` bytes (fewer only at the end), so short reads cannot make decoding slow."""
        parts: list[bytes] = []
        got = 0
        while got < size:
            part = self._read(size - got)
            if not part:
                break
            parts.append(part)
            got += len(part)
        return b"".join(parts)

    def _byte_at(self, pos: int) -> int:
        return self._base_bytes + len(self._buf[:pos].encode("utf-8"))

    def _ended_early(self) -> IngestError:
        return IngestError(f"{self._name}: the JSON ended early at byte {self._bytes_read}")

    def _too_big(self) -> IngestError:
        limit = self._max_value or 0
        return IngestError(
            f"{self._name}: the entry at byte {self._byte_at(self._pos)} is over "
            f"{limit >> 20} MiB of text, more than one eval case holds; refused"
        )

    def _bad(self, what: str, pos: int | None = None) -> IngestError:
        at = self._byte_at(self._pos if pos is None else pos)
        return IngestError(f"{self._name}: not valid JSON at byte {at}: {what}")

    def peek(self) -> str:
        """The next non-whitespace character, or "" at the end of the input."""
        while True:
            buf, pos = self._buf, self._pos
            while pos < len(buf) and buf[pos] in WHITESPACE:
                pos += 1
            self._pos = pos
            if pos < len(buf):
                return buf[pos]
            if not self._more():
                return ""

    def _expect(self, char: str) -> None:
        found = self.peek()
        if found == char:
            self._pos += 1
            return
        if not found:
            raise self._ended_early()
        raise self._bad(f"expected '{char}', found {found!r}")

    # -- values -----------------------------------------------------------------------
    def value(self) -> Any:
        """Decode the next value whole."""
        want = CHUNK
        while True:
            if not self.peek():
                raise self._ended_early()
            try:
                obj, end = self._json.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                cut_off = exc.pos >= len(self._buf) - 8 or exc.msg.startswith("Unterminated")
                if not cut_off:
                    raise self._bad(exc.msg, exc.pos) from None
                if self._eof:
                    raise self._ended_early() from None
                want *= 2  # this value is bigger than the buffer: read in larger steps
                if self._max_value is not None:
                    held = len(self._buf) - self._pos
                    if held > self._max_value:
                        raise self._too_big() from None
                    want = min(want, self._max_value - held + CHUNK)  # never far past it
                self._more(want)
                continue
            if end >= len(self._buf) and not self._eof:
                self._more()  # a number at the very end may go on in the next chunk
                continue
            self._pos = end
            return obj

    def skip(self) -> None:
        """Walk past the next value without keeping it."""
        char = self.peek()
        if char == "{":
            for _ in self.members():
                self.skip()
        elif char == "[":
            for _ in self.items():
                self.skip()
        else:
            self.value()

    def members(self) -> Iterator[str]:
        """Yield each key of the object ahead; the caller consumes each value before resuming."""
        self._expect("{")
        if self.peek() == "}":
            self._pos += 1
            return
        while True:
            if self.peek() != '"':
                if not self.peek():
                    raise self._ended_early()
                raise self._bad("expected a key in double quotes")
            key = self.value()
            self._expect(":")
            yield str(key)
            if self._entry_closes("}"):
                return

    def items(self) -> Iterator[int]:
        """Yield the index of each element of the array ahead; the caller consumes each one."""
        self._expect("[")
        if self.peek() == "]":
            self._pos += 1
            return
        index = 0
        while True:
            yield index
            index += 1
            if self._entry_closes("]"):
                return

    def _entry_closes(self, closer: str) -> bool:
        """Step over the ',' after an entry, or the closing bracket (then True)."""
        char = self.peek()
        if char in (",", closer):
            self._pos += 1
            return char == closer
        if not char:
            raise self._ended_early()
        raise self._bad(f"expected ',' or '{closer}', found {char!r}")

    def end(self) -> None:
        """Check nothing but whitespace follows the document."""
        if self.peek():
            raise self._bad("unexpected text after the end of the JSON")

"""A promptfoo file of any size made on the fly, and a reader of it that measures memory (run in a
fresh interpreter by the streaming test and the ingest bench)."""

from __future__ import annotations

import io
import json
import resource
from collections.abc import Iterator
from typing import Any

from bot.ingest import read_cases
from tests.support.paths import EVAL_FIXTURES

PROMPTFOO = (EVAL_FIXTURES / "real" / "promptfoo-v1.json").read_bytes()


class GeneratedPromptfoo(io.RawIOBase):
    """A promptfoo results file of `count` cases, produced on the fly (never held whole)."""

    def __init__(self, count: int) -> None:
        template = json.loads(PROMPTFOO)
        results = template["results"]["results"]
        # Each real result as text, with the test's number and description left as slots.
        self._shapes = [
            json.dumps(dict(r, testIdx=-7, testCase=dict(r["testCase"], description="@@")))
            .replace('"testIdx": -7', '"testIdx": {index}')
            .replace('"description": "@@"', '"description": "case {index}"')
            for r in results
        ]
        self._count = count
        self._pieces = self._generate(json.dumps(template["metadata"]))
        self._pending = memoryview(b"")

    def _generate(self, metadata: str) -> Iterator[bytes]:
        yield b'{"evalId": "big", "results": {"version": 3, "results": ['
        shapes = [shape.replace("{", "{{").replace("}", "}}") for shape in self._shapes]
        shapes = [s.replace("{{index}}", "{index}") for s in shapes]
        for index in range(self._count):
            text = shapes[index % len(shapes)].format(index=index)
            yield (("," if index else "") + text).encode()
        yield ('], "stats": {}}, "metadata": ' + metadata + "}").encode()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._pending = memoryview(piece)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def measure_big_read(count: int) -> dict[str, Any]:
    """Read `count` generated cases; report rows, errored rows and the growth of peak memory."""
    source = io.BufferedReader(GeneratedPromptfoo(count), buffer_size=1 << 16)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    fmt, rows, meta = read_cases(source, name="big.json")
    seen = errored = 0
    for row in rows:
        seen += 1
        errored += row.errored
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    return {
        "format": fmt,
        "rows": seen,
        "errored": errored,
        "version": meta.tool_version,
        "grown_mib": grown_kib / 1024,
    }

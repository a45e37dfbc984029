"""Inspect's `.eval` log, its default format since 0.3.46: a zip with `header.json` (the run),
`summaries.json` (one summary per sample: id, scores, times, usage, error) and a member per
sample with its whole transcript, which we never open.

Inspect 0.3.285 compresses members with Zstandard (zip method 93), which Python's zipfile reads
only from 3.14 on; older Inspect versions use deflate. The zip's directory is walked by
`zipdir.py`, which keeps only the two members we read (zipfile would keep an object per
sample); members are inflated as they are read and checked against their CRC-32. An eval file
is untrusted: the number of members and the bytes each may inflate to are bounded, and
`summaries.json` is streamed, never held whole.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from typing import BinaryIO

from bot.ingest.inspect_log import read_eval_section, refuse_unfinished, sample_row
from bot.ingest.jsonstream import JsonStream
from bot.ingest.model import CaseRow, IngestError, RunMeta
from bot.ingest.zipdir import open_member, read_directory

WANTED = frozenset({"header.json", "summaries.json"})
MAX_MEMBERS = 2_000_000  # a member per sample and epoch, plus a few
MAX_HEADER_BYTES = 64 << 20
MAX_SUMMARY_BYTES = 4 << 30  # what summaries.json may inflate to
MAX_SAMPLE_CHARS = 16 << 20  # one sample's summary (a long prompt is a few MB), held whole


def read_inspect_eval(stream: BinaryIO, meta: RunMeta, name: str) -> Iterator[CaseRow]:
    meta.tool = "inspect"
    try:
        directory = read_directory(stream, WANTED, MAX_MEMBERS, name)
    except (OSError, ValueError, struct.error):
        raise IngestError(f"{name}: not a readable zip") from None
    members = directory.members
    if "header.json" not in members:
        raise IngestError(f"{name}: not an Inspect .eval log (no header.json)")
    with open_member(
        stream, members["header.json"], MAX_HEADER_BYTES, f"{name}: header.json"
    ) as raw:
        data = raw.read()
    try:
        header = json.loads(data)
    except (ValueError, UnicodeError, RecursionError):
        raise IngestError(f"{name}: header.json is not valid JSON") from None
    if not isinstance(header, dict):
        raise IngestError(f"{name}: header.json is not an object")
    model, epochs = read_eval_section(header.get("eval"), meta)
    refuse_unfinished(header.get("status"), header.get("results"), name)
    summaries = members.get("summaries.json")
    if summaries is None:
        status = header.get("status")
        raise IngestError(
            f"{name}: the log has no summaries.json (status {status!r}); it is not a finished run"
        )
    where = f"{name}: summaries.json"
    with open_member(stream, summaries, MAX_SUMMARY_BYTES, where) as raw:
        samples = JsonStream(raw.read, where, MAX_SAMPLE_CHARS)
        for index in samples.items():
            yield sample_row(samples.value(), f"{name}: sample {index + 1}", model, epochs)
        samples.end()
        raw.finish()  # to its end, so its checksum is checked

"""Inspect's `.eval` log, its default format since 0.3.46: a zip with `header.json` (the run),
`summaries.json` (one summary per sample: id, scores, times, usage, error) and a member per
sample with its whole transcript, which we never open.

Inspect 0.3.285 compresses members with Zstandard (zip method 93), which Python's zipfile reads
only from 3.14 on; older Inspect versions use deflate. The zip's directory comes from zipfile;
a Zstandard member is decompressed with `zstandard` from its raw bytes. An eval file is
untrusted: the number of members and the bytes each may inflate to are bounded, and
`summaries.json` is streamed, never held whole.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Iterator
from typing import BinaryIO, Protocol, cast

import zstandard

from bot.ingest.inspect_log import read_eval_section, sample_row
from bot.ingest.jsonstream import JsonStream
from bot.ingest.model import CaseRow, IngestError, RunMeta


class _Source(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


ZSTANDARD = 93  # the zip method number of Zstandard (APPNOTE 4.4.5)
MAX_MEMBERS = 2_000_000  # a member per sample and epoch, plus a few
MAX_HEADER_BYTES = 64 << 20
MAX_SUMMARY_BYTES = 4 << 30  # what summaries.json may inflate to
LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, ..., name length, extra length
LOCAL_SIGNATURE = b"PK\x03\x04"


def read_inspect_eval(stream: BinaryIO, meta: RunMeta, name: str) -> Iterator[CaseRow]:
    meta.tool = "inspect"
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise IngestError(f"{name}: not a readable zip ({_short(exc)})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise IngestError(f"{name}: {len(infos):,} members, more than an Inspect log has")
        members = {info.filename: info for info in infos}
        if "header.json" not in members:
            raise IngestError(f"{name}: not an Inspect .eval log (no header.json)")
        with _open(archive, stream, members["header.json"], MAX_HEADER_BYTES, name) as raw:
            try:
                header = json.loads(raw.read())
            except (ValueError, UnicodeError, RecursionError):
                raise IngestError(f"{name}: header.json is not valid JSON") from None
        if not isinstance(header, dict):
            raise IngestError(f"{name}: header.json is not an object")
        model, epochs = read_eval_section(header.get("eval"), meta)
        summaries = members.get("summaries.json")
        if summaries is None:
            status = header.get("status")
            raise IngestError(
                f"{name}: the log has no summaries.json (status {status!r}); "
                "it is not a finished run"
            )
        with _open(archive, stream, summaries, MAX_SUMMARY_BYTES, name) as raw:
            samples = JsonStream(raw.read, f"{name}: summaries.json")
            for index in samples.items():
                where = f"{name}: sample {index + 1}"
                yield sample_row(samples.value(), where, model, epochs)
            samples.end()


def _open(
    archive: zipfile.ZipFile, stream: BinaryIO, info: zipfile.ZipInfo, limit: int, name: str
) -> _Bounded:
    if info.file_size > limit:
        raise IngestError(f"{name}: {info.filename} would inflate to {info.file_size:,} bytes")
    if info.compress_type == ZSTANDARD:
        return _Bounded(_zstd_member(stream, info, name), limit, f"{name}: {info.filename}")
    try:
        return _Bounded(archive.open(info), limit, f"{name}: {info.filename}")
    except NotImplementedError:
        raise IngestError(
            f"{name}: {info.filename} uses zip compression method {info.compress_type}, "
            "which Inspect logs do not"
        ) from None


def _zstd_member(stream: BinaryIO, info: zipfile.ZipInfo, name: str) -> _Source:
    """The member's raw bytes start after its local header, whose name and extra field lengths
    may differ from the central directory's."""
    stream.seek(info.header_offset)
    fixed = stream.read(LOCAL_HEADER.size)
    if len(fixed) < LOCAL_HEADER.size:
        raise IngestError(f"{name}: {info.filename} is cut off")
    signature, name_length, extra_length = LOCAL_HEADER.unpack(fixed)
    if signature != LOCAL_SIGNATURE:
        raise IngestError(f"{name}: {info.filename} has a broken zip header")
    stream.seek(name_length + extra_length, io.SEEK_CUR)
    raw = cast(BinaryIO, _Window(stream, info.compress_size))
    return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)


class _Window(io.RawIOBase):
    """At most `size` bytes of `stream` from where it stands: the member's compressed bytes."""

    def __init__(self, stream: BinaryIO, size: int) -> None:
        self._stream, self._left = stream, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        chunk = self._stream.read(min(len(view), self._left))
        self._left -= len(chunk)
        view[: len(chunk)] = chunk
        return len(chunk)


class _Bounded(io.RawIOBase):
    """Stops a member that inflates past `limit` (its declared size may lie), and turns the
    decompressor's complaints into one line."""

    def __init__(self, inner: _Source, limit: int, where: str) -> None:
        self._inner, self._left, self._where = inner, limit, where

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        want = self._left + 1 if size < 0 else min(size, self._left + 1)
        try:
            data = self._inner.read(want)
        except (zstandard.ZstdError, zipfile.BadZipFile, OSError, EOFError) as exc:
            raise IngestError(f"{self._where}: could not decompress ({_short(exc)})") from None
        self._left -= len(data)
        if self._left < 0:
            raise IngestError(f"{self._where}: inflates to more than its limit; refused")
        return data

    def close(self) -> None:
        self._inner.close()
        super().close()


def _short(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:100]

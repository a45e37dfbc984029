"""A zip's central directory, read for the few members we want, and those members opened.

Python's zipfile builds a ZipInfo for every member when it opens an archive: 110 MB for the
200,000 members of an Inspect log with 200,000 samples (bench/ingest.py --formats), so memory
grew with the file. Here the directory is walked a megabyte at a time and only the wanted
entries are kept, so memory stays flat however many members there are. Layout from PKWARE's
APPNOTE.TXT: end of central directory record (4.3.16), Zip64 end record and locator (4.3.14,
4.3.15), central directory headers (4.3.12), local file headers (4.3.7), Zip64 extra field
(4.5.3). Members: stored, deflate (zlib) or Zstandard (method 93, the `zstandard` package), each
checked against its CRC-32 as it is read. Every length comes from an untrusted file, so each is
checked against the file's size before it is used.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Protocol, cast

import zstandard

from bot.ingest.model import IngestError

STORED, DEFLATE, ZSTANDARD = 0, 8, 93
END = struct.Struct("<4sHHHHIIH")  # end of central directory record
END_SIGNATURE = b"PK\x05\x06"
LOCATOR = struct.Struct("<4sIQI")  # Zip64 end of central directory locator
LOCATOR_SIGNATURE = b"PK\x06\x07"
END64 = struct.Struct("<4sQHHIIQQQQ")  # Zip64 end of central directory record
END64_SIGNATURE = b"PK\x06\x06"
ENTRY = struct.Struct("<4s6xHxxxxIIIHHH8xI")  # central directory header, the fields we use
ENTRY_SIGNATURE = b"PK\x01\x02"
LOCAL = struct.Struct("<4s22xHH")  # local file header: signature, name and extra lengths
LOCAL_SIGNATURE = b"PK\x03\x04"
MAX_COMMENT = 0xFFFF
CHUNK = 1 << 20
FULL32 = 0xFFFFFFFF


class Source(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Member:
    name: str
    method: int
    compressed: int  # bytes in the file
    size: int  # bytes once inflated, as the directory claims (the reader checks, never trusts)
    crc: int
    offset: int  # of its local header


@dataclass(frozen=True)
class Directory:
    members: dict[str, Member]  # the wanted ones found
    count: int  # entries in the whole directory


def read_directory(
    stream: BinaryIO, wanted: frozenset[str], max_members: int, name: str
) -> Directory:
    """The wanted members of the zip in `stream` (a later entry of the same name wins, as in
    zipfile), walking the directory without keeping the rest."""
    size = stream.seek(0, io.SEEK_END)
    count, start, length = _end_record(stream, size, name)
    if count > max_members:
        raise IngestError(f"{name}: {count:,} members, more than an Inspect log has")
    if start + length > size:
        raise IngestError(f"{name}: not a readable zip (its directory lies past the end)")
    stream.seek(start)
    found: dict[str, Member] = {}
    targets = {wanted_name.encode(): wanted_name for wanted_name in wanted}
    buffer, left, seen = b"", length, 0
    while seen < count:
        if len(buffer) < ENTRY.size:
            buffer, left = _refill(stream, buffer, left)
        if len(buffer) < ENTRY.size:
            break  # the directory ends early: what it holds is what there is
        signature, method, crc, packed, inflated, name_length, extra_length, comment_length, at = (
            ENTRY.unpack_from(buffer)
        )
        if signature != ENTRY_SIGNATURE:
            raise IngestError(f"{name}: not a readable zip (damaged directory entry {seen + 1})")
        whole = ENTRY.size + name_length + extra_length + comment_length
        while len(buffer) < whole and left:
            buffer, left = _refill(stream, buffer, left)
        if len(buffer) < whole:
            raise IngestError(f"{name}: not a readable zip (directory entry {seen + 1} cut off)")
        member_name = buffer[ENTRY.size : ENTRY.size + name_length]
        if member_name in targets:
            extra = buffer[ENTRY.size + name_length : ENTRY.size + name_length + extra_length]
            inflated, packed, at = _zip64(extra, inflated, packed, at, name)
            if at + packed > size:
                raise IngestError(f"{name}: {targets[member_name]} lies past the end of the file")
            found[targets[member_name]] = Member(
                targets[member_name], method, packed, inflated, crc, at
            )
        buffer, seen = buffer[whole:], seen + 1
    return Directory(found, count)


def _refill(stream: BinaryIO, buffer: bytes, left: int) -> tuple[bytes, int]:
    chunk = stream.read(min(CHUNK, left))
    return buffer + chunk, left - len(chunk)


def _end_record(stream: BinaryIO, size: int, name: str) -> tuple[int, int, int]:
    """(entries, directory offset, directory length), from the end record (Zip64's if used)."""
    tail_start = max(0, size - END.size - MAX_COMMENT)
    stream.seek(tail_start)
    tail = stream.read()
    at = tail.rfind(END_SIGNATURE)
    while at >= 0 and at + END.size > len(tail):
        at = tail.rfind(END_SIGNATURE, 0, at)
    if at < 0:
        raise IngestError(f"{name}: not a readable zip (no end of central directory)")
    _sig, disk, disk_start, _here, count, length, start, _comment = END.unpack_from(tail, at)
    if disk or disk_start:
        raise IngestError(f"{name}: a zip split over several disks; send it as one file")
    if count != 0xFFFF and length != FULL32 and start != FULL32:
        return count, start, length
    located = tail_start + at - LOCATOR.size
    if located < 0:
        raise IngestError(f"{name}: not a readable zip (no Zip64 locator)")
    stream.seek(located)
    locator = stream.read(LOCATOR.size)
    signature, _disk, end64_at, _disks = LOCATOR.unpack(locator)
    if signature != LOCATOR_SIGNATURE and FULL32 not in (length, start):
        return count, start, length  # exactly 65,535 members, without Zip64
    if signature != LOCATOR_SIGNATURE or end64_at + END64.size > size:
        raise IngestError(f"{name}: not a readable zip (damaged Zip64 locator)")
    stream.seek(end64_at)
    record = stream.read(END64.size)
    signature, _size, _made, _needs, disk, disk_start, _here, count, length, start = END64.unpack(
        record
    )
    if signature != END64_SIGNATURE:
        raise IngestError(f"{name}: not a readable zip (damaged Zip64 end record)")
    if disk or disk_start:
        raise IngestError(f"{name}: a zip split over several disks; send it as one file")
    return count, start, length


def _zip64(extra: bytes, inflated: int, packed: int, at: int, name: str) -> tuple[int, int, int]:
    """Sizes and offset from the Zip64 extra field, for those the entry marks as too big."""
    if FULL32 not in (inflated, packed, at):
        return inflated, packed, at
    position = 0
    while position + 4 <= len(extra):
        kind, length = struct.unpack_from("<HH", extra, position)
        body = extra[position + 4 : position + 4 + length]
        position += 4 + length
        if kind != 1:
            continue
        values = [value for (value,) in struct.iter_unpack("<Q", body[: len(body) // 8 * 8])]
        fields = []
        for value in (inflated, packed, at):
            if value == FULL32:
                if not values:
                    break
                value = values.pop(0)
            fields.append(value)
        if len(fields) == 3:
            return fields[0], fields[1], fields[2]
    raise IngestError(f"{name}: not a readable zip (a Zip64 size is missing)")


def open_member(stream: BinaryIO, member: Member, limit: int, where: str) -> Checked:
    """The member's bytes, inflated as they are read, at most `limit` of them."""
    if member.size > limit:
        raise IngestError(f"{where} would inflate to {member.size:,} bytes")
    stream.seek(member.offset)
    fixed = stream.read(LOCAL.size)
    if len(fixed) < LOCAL.size:
        raise IngestError(f"{where} is cut off")
    signature, name_length, extra_length = LOCAL.unpack(fixed)
    if signature != LOCAL_SIGNATURE:
        raise IngestError(f"{where} has a broken zip header")
    # The local header's name and extra field may differ in length from the directory's.
    stream.seek(name_length + extra_length, io.SEEK_CUR)
    window = _Window(stream, member.compressed)
    inner: Source
    if member.method == ZSTANDARD:
        raw = cast(BinaryIO, window)
        inner = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
    elif member.method == DEFLATE:
        inner = _Inflating(window)
    elif member.method == STORED:
        inner = window
    else:
        raise IngestError(
            f"{where} uses zip compression method {member.method}, which Inspect logs do not"
        )
    return Checked(inner, limit, member.crc, where)


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


class _Inflating:
    """Raw deflate (no zlib header, as in zips), inflated as it is read."""

    def __init__(self, raw: _Window) -> None:
        self._raw, self._inflate = raw, zlib.decompressobj(-zlib.MAX_WBITS)

    def read(self, size: int = -1, /) -> bytes:
        want = CHUNK if size < 0 else size
        out = self._inflate.decompress(self._inflate.unconsumed_tail, want)
        while not out and not self._inflate.eof:
            packed = self._raw.read(CHUNK)
            if not packed:
                raise EOFError("the compressed data ends early")
            out = self._inflate.decompress(packed, want)
        return out

    def close(self) -> None:
        self._raw.close()


class Checked(io.RawIOBase):
    """Stops a member that inflates past `limit` (its declared size may lie), checks its CRC-32
    at the end, and turns the decompressor's complaints into one line."""

    def __init__(self, inner: Source, limit: int, crc: int, where: str) -> None:
        self._inner, self._left, self._where = inner, limit, where
        self._want, self._crc = crc, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size < 0:  # everything (a small member: header.json is bounded by its limit)
            parts = []
            while part := self.read(CHUNK):
                parts.append(part)
            return b"".join(parts)
        want = min(size, self._left + 1)
        try:
            data = self._inner.read(want)
        except (zstandard.ZstdError, zlib.error, OSError, EOFError) as exc:
            raise IngestError(f"{self._where}: could not decompress ({short(exc)})") from None
        self._left -= len(data)
        if self._left < 0:
            raise IngestError(f"{self._where}: inflates to more than its limit; refused")
        self._crc = zlib.crc32(data, self._crc)
        if not data and size != 0 and self._crc != self._want:
            raise IngestError(f"{self._where}: damaged (its checksum does not match)")
        return data

    def finish(self) -> None:
        """Read what is left, so the checksum is checked."""
        while self.read(CHUNK):
            pass

    def close(self) -> None:
        self._inner.close()
        super().close()


def short(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:100]

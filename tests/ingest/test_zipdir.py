"""bot/ingest/zipdir.py against Python's zipfile on the same archives: the same members found
(Zip64 too, past 65,535 members), the same bytes read, and damage named in one line."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import pytest

from bot.ingest.model import IngestError
from bot.ingest.zipdir import ZSTANDARD, open_member, read_directory
from tests.support.paths import EVAL_FIXTURES

WANTED = frozenset({"header.json", "summaries.json"})
REAL_EVALS = sorted((EVAL_FIXTURES / "real").glob("*.eval"))


def archive(members: int, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as made:
        made.writestr("header.json", json.dumps({"status": "success"}))
        for index in range(members):
            made.writestr(f"samples/{index}.json", "{}", zipfile.ZIP_STORED)
        made.writestr("summaries.json", json.dumps([{"id": n} for n in range(50)]))
    return buffer.getvalue()


def test_a_zip64_directory_gives_the_members_zipfile_gives() -> None:
    data = archive(70_000)  # more than 65,535: zipfile writes the Zip64 end records
    assert b"PK\x06\x06" in data[-200:]
    found = read_directory(io.BytesIO(data), WANTED, 2_000_000, "log.eval")
    assert found.count == 70_002
    with zipfile.ZipFile(io.BytesIO(data)) as theirs:
        for name, member in found.members.items():
            info = theirs.getinfo(name)
            assert (member.offset, member.compressed, member.size, member.crc) == (
                info.header_offset,
                info.compress_size,
                info.file_size,
                info.CRC,
            )
            with open_member(io.BytesIO(data), member, 1 << 20, name) as raw:
                assert raw.read() == theirs.read(name)
    with pytest.raises(IngestError, match="70,002 members"):
        read_directory(io.BytesIO(data), WANTED, 70_000, "log.eval")


@pytest.mark.parametrize("path", REAL_EVALS, ids=lambda p: p.name)
def test_the_real_logs_read_whole(path: Path) -> None:
    data = path.read_bytes()
    names = zipfile.ZipFile(path).namelist()  # its directory; zipfile cannot inflate Zstandard
    found = read_directory(io.BytesIO(data), WANTED, 2_000_000, path.name)
    assert set(found.members) == WANTED and found.count == len(names)
    summaries = found.members["summaries.json"]
    assert summaries.method == (ZSTANDARD if "0.3.285" in path.name else zipfile.ZIP_DEFLATED)
    with open_member(io.BytesIO(data), summaries, 1 << 20, path.name) as raw:
        text = raw.read()
    samples = sum(name.startswith("samples/") for name in names)
    assert len(text) == summaries.size and len(json.loads(text)) == samples


@pytest.mark.parametrize("path", REAL_EVALS, ids=lambda p: p.name)
def test_a_wrong_checksum_is_refused(path: Path) -> None:
    data = bytearray(path.read_bytes())
    member = read_directory(io.BytesIO(data), WANTED, 99, path.name).members["summaries.json"]
    # Find summaries.json's directory entry and change its stored CRC-32 (offset 16).
    entry = data.find(b"summaries.json", data.find(b"PK\x01\x02")) - 46
    struct.pack_into("<I", data, entry + 16, member.crc ^ 1)
    changed = read_directory(io.BytesIO(data), WANTED, 99, path.name).members["summaries.json"]
    damaged = r"summaries.json: damaged \(its checksum does not match\)"
    with (
        open_member(io.BytesIO(data), changed, 1 << 20, "log.eval: summaries.json") as raw,
        pytest.raises(IngestError, match=damaged),
    ):
        raw.read()


def test_stored_members_read_and_other_methods_are_named() -> None:
    data = archive(3, zipfile.ZIP_STORED)
    found = read_directory(io.BytesIO(data), WANTED, 99, "log.eval")
    with open_member(io.BytesIO(data), found.members["header.json"], 99, "header") as raw:
        assert json.loads(raw.read()) == {"status": "success"}
    bz = archive(3, zipfile.ZIP_BZIP2)
    member = read_directory(io.BytesIO(bz), WANTED, 99, "log.eval").members["header.json"]
    with pytest.raises(IngestError, match="compression method 12"):
        open_member(io.BytesIO(bz), member, 99, "log.eval: header.json")
    with pytest.raises(IngestError, match="would inflate to"):
        open_member(io.BytesIO(data), found.members["summaries.json"], 10, "summaries")


@pytest.mark.parametrize(
    "damage",
    [b"", b"PK\x05\x06", b"not a zip at all" * 100, archive(2)[:-10], archive(2)[:200]],
)
def test_not_a_zip_gets_one_line(damage: bytes) -> None:
    with pytest.raises(IngestError, match=r"^log\.eval: "):
        read_directory(io.BytesIO(damage), WANTED, 99, "log.eval")

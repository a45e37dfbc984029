"""Large eval files of every format, for bench/ingest.py: each one is a real tool's fixture
(tests/fixtures/evals/real/, made by the tools themselves) with its cases repeated under new,
unique ids, so what the readers meet at scale is what the tools write.

Inspect's `.eval` is a zip with a member per sample (its transcript, which we never open) plus
`header.json` and `summaries.json`. Python 3.11's zipfile cannot write Zstandard members (method
93, what Inspect 0.3.285 writes), so `EvalZip` writes the zip itself: local headers, the central
directory, and the Zip64 end records once there are more than 65,535 members (APPNOTE 4.3.14).
Each sample member is one of the fixture's own, compressed once and copied.
"""

from __future__ import annotations

import copy
import csv
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import quoteattr

import zstandard

REAL = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "evals" / "real"
ZSTANDARD, DEFLATE = 93, zipfile.ZIP_DEFLATED


# --- line and table formats ------------------------------------------------------------------
def promptfoo_jsonl(path: Path, cases: int) -> None:
    rows = [json.loads(line) for line in (REAL / "promptfoo.jsonl").read_text().splitlines()]
    with path.open("w", encoding="utf-8") as out:
        for index in range(cases):
            row = copy.deepcopy(rows[index % len(rows)])
            row["id"], row["testIdx"] = f"bench-{index:07d}", index
            test = row.get("testCase") or {}
            if test.get("description"):
                test["description"] = f"{test['description']} ({index})"
            out.write(json.dumps(row) + "\n")


def _csv(source: str, id_column: str) -> Callable[[Path, int], None]:
    def write(path: Path, cases: int) -> None:
        with (REAL / source).open(newline="", encoding="utf-8") as handle:
            header, *rows = list(csv.reader(handle))
        at = header.index(id_column)
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            for index in range(cases):
                row = list(rows[index % len(rows)])
                row[at] = f"{row[at]} ({index})"
                writer.writerow(row)

    return write


promptfoo_csv = _csv("promptfoo.csv", "Description")
ragas_csv = _csv("ragas-0.4.3.csv", "user_input")


def deepeval(path: Path, cases: int) -> None:
    document = json.loads((REAL / "deepeval-4.3.1.test_run.json").read_text())
    templates = document["testCases"]
    document["testCases"] = []
    head, tail = json.dumps(document, indent=2).split('"testCases": []', 1)
    with path.open("w", encoding="utf-8") as out:
        out.write(head + '"testCases": [\n')
        for index in range(cases):
            case = copy.deepcopy(templates[index % len(templates)])
            case["name"] = f"{case['name']} ({index})"
            case["order"] = index
            out.write(("" if index == 0 else ",\n") + json.dumps(case, indent=2))
        out.write("\n]" + tail)


# --- JUnit XML: the suite's opening tags, then each <testcase> element repeated ---------------
TESTCASE = re.compile(r"<testcase\b.*?(?:/>|</testcase>)", re.DOTALL)


def _junit(source: str, rename: Callable[[str, int], str]) -> Callable[[Path, int], None]:
    def write(path: Path, cases: int) -> None:
        text = (REAL / source).read_text(encoding="utf-8")
        found = list(TESTCASE.finditer(text))
        head, tail = text[: found[0].start()], text[found[-1].end() :]
        templates = [match.group(0) for match in found]
        with path.open("w", encoding="utf-8") as out:
            out.write(head)
            for index in range(cases):
                case = templates[index % len(templates)]
                name = re.search(r'name="([^"]*)"', case)
                assert name is not None
                renamed = quoteattr(rename(_unescape(name.group(1)), index))
                out.write(case[: name.start()] + f"name={renamed}" + case[name.end() :] + "\n")
            out.write(tail)

    return write


def _unescape(value: str) -> str:
    return (
        value.replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    )


promptfoo_junit = _junit(
    "promptfoo.junit.xml", lambda name, i: re.sub(r"^test \d+:", f"test {i + 1}:", name) + f" ({i})"
)
pytest_junit = _junit("pytest-9.2.0.junit.xml", lambda name, i: name.replace("]", f" ({i})]"))


# --- Inspect .eval ---------------------------------------------------------------------------
class EvalZip:
    """A zip written member by member, streamed; Zstandard or deflate."""

    def __init__(self, out: BinaryIO, method: int) -> None:
        self.out, self.method = out, method
        self.directory: list[bytes] = []

    def _compressor(self) -> Any:
        if self.method == ZSTANDARD:
            return zstandard.ZstdCompressor(level=3).compressobj()
        return zlib.compressobj(6, zlib.DEFLATED, -15)

    def add(self, name: str, chunks: Iterator[bytes]) -> None:
        """A member from its uncompressed bytes, compressed as they come."""
        start = self.out.tell()
        self._local(name, 0, 0, 0)
        compressor, crc, size, written = self._compressor(), 0, 0, 0
        for chunk in chunks:
            crc, size = zlib.crc32(chunk, crc), size + len(chunk)
            written += self.out.write(compressor.compress(chunk))
        written += self.out.write(compressor.flush())
        end = self.out.tell()
        self.out.seek(start)
        self._local(name, crc, written, size)
        self.out.seek(end)
        self._central(name, crc, written, size, start)

    def copy(self, name: str, packed: bytes, crc: int, size: int) -> None:
        """A member already compressed (the same sample transcript, under another name)."""
        start = self.out.tell()
        self._local(name, crc, len(packed), size)
        self.out.write(packed)
        self._central(name, crc, len(packed), size, start)

    def pack(self, data: bytes) -> tuple[bytes, int]:
        compressor = self._compressor()
        return compressor.compress(data) + compressor.flush(), zlib.crc32(data)

    def _version(self) -> int:
        return 63 if self.method == ZSTANDARD else 20

    def _local(self, name: str, crc: int, packed: int, size: int) -> None:
        encoded = name.encode()
        header = struct.pack(
            "<4sHHHHHIIIHH", b"PK\x03\x04", self._version(), 0, self.method, 0, 0x21,
            crc, packed, size, len(encoded), 0,
        )  # fmt: skip
        self.out.write(header + encoded)

    def _central(self, name: str, crc: int, packed: int, size: int, offset: int) -> None:
        encoded = name.encode()
        entry = struct.pack(
            "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", self._version(), self._version(), 0,
            self.method, 0, 0x21, crc, packed, size, len(encoded), 0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        self.directory.append(entry + encoded)

    def close(self) -> None:
        start = self.out.tell()
        for entry in self.directory:
            self.out.write(entry)
        end, count = self.out.tell(), len(self.directory)
        if count > 0xFFFF:  # Zip64 end of central directory record and its locator
            record = struct.pack(
                "<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, end - start, start
            )
            self.out.write(record)
            self.out.write(struct.pack("<4sIQI", b"PK\x06\x07", 0, end, 1))
        shown = min(count, 0xFFFF)
        self.out.write(
            struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, shown, shown, end - start, start, 0)
        )


def _inspect(source: str, method: int) -> Callable[[Path, int], None]:
    def write(path: Path, cases: int) -> None:
        summaries = json.loads(_member(REAL / source, "summaries.json"))
        header = _member(REAL / source, "header.json")
        sample = _member(REAL / source, f"samples/{summaries[0]['id']}_epoch_1.json")
        with path.open("wb") as out:
            archive = EvalZip(out, method)
            archive.add("_journal/start.json", iter([header]))
            packed, crc = archive.pack(sample)
            for index in range(cases):
                archive.copy(f"samples/s{index:07d}_epoch_1.json", packed, crc, len(sample))
            archive.add("summaries.json", _summaries(summaries, cases))
            archive.add("header.json", iter([header]))
            archive.close()

    return write


def _member(path: Path, name: str) -> bytes:
    """One member of a fixture's zip, Zstandard too (zipfile reads method 93 only from 3.14)."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
        if info.compress_type != ZSTANDARD:
            return archive.read(name)
    with path.open("rb") as raw:
        raw.seek(info.header_offset + 26)
        name_length, extra_length = struct.unpack("<HH", raw.read(4))
        raw.seek(name_length + extra_length, 1)
        packed = raw.read(info.compress_size)
    return bytes(zstandard.ZstdDecompressor().decompressobj().decompress(packed))


def _summaries(templates: list[dict[str, Any]], cases: int) -> Iterator[bytes]:
    yield b"["
    batch: list[str] = []
    for index in range(cases):
        summary = dict(templates[index % len(templates)])
        summary["id"], summary["uuid"] = f"s{index:07d}", f"bench{index:017d}"
        batch.append(("" if index == 0 else ",") + json.dumps(summary))
        if len(batch) >= 1000:
            yield "".join(batch).encode()
            batch = []
    yield ("".join(batch) + "]").encode()


inspect_zstd = _inspect("inspect-0.3.285.eval", ZSTANDARD)
inspect_deflate = _inspect("inspect-0.3.150.eval", DEFLATE)

# name as a file would be called, the writer, what made the fixture it repeats
FORMATS: dict[str, tuple[str, Callable[[Path, int], None], str]] = {
    "promptfoo JSONL": ("results.jsonl", promptfoo_jsonl, "promptfoo.jsonl"),
    "promptfoo CSV": ("results.csv", promptfoo_csv, "promptfoo.csv"),
    "promptfoo JUnit XML": ("results.xml", promptfoo_junit, "promptfoo.junit.xml"),
    "Inspect .eval, Zstandard": ("log.eval", inspect_zstd, "inspect-0.3.285.eval"),
    "Inspect .eval, deflate": ("log.eval", inspect_deflate, "inspect-0.3.150.eval"),
    "DeepEval test run": ("test_run_bench.json", deepeval, "deepeval-4.3.1.test_run.json"),
    "JUnit XML (pytest)": ("junit.xml", pytest_junit, "pytest-9.2.0.junit.xml"),
    "score-column CSV (Ragas)": ("ragas.csv", ragas_csv, "ragas-0.4.3.csv"),
}

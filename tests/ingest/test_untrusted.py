"""An eval file is untrusted input: XML entities and DTDs are refused before anything expands,
and a packed `.eval` cannot make one sample's summary inflate into hundreds of megabytes held
whole (a 300 MB sample packs into 300 KB; before the bound it was held at 676 MB RSS)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from bot.ingest import IngestError, read_cases
from bot.ingest.inspect_eval import MAX_SAMPLE_CHARS
from tests.support.paths import EVAL_FIXTURES

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<testsuites><testsuite name="s"><testcase name="a">&lol3;</testcase></testsuite></testsuites>
"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<testsuites><testsuite name="s"><testcase name="&x;"><failure message="m"/></testcase>
</testsuite></testsuites>
"""
REMOTE_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE testsuites SYSTEM "http://127.0.0.1:9/x.dtd">
<testsuites><testsuite name="s"><testcase name="a"/></testsuite></testsuites>
"""


def refusal(data: bytes, name: str) -> str:
    with pytest.raises(IngestError) as caught:
        _, rows, _ = read_cases(io.BytesIO(data), name=name)
        list(rows)
    return caught.value.message


@pytest.mark.parametrize("data", [LAUGHS, EXTERNAL, REMOTE_DTD], ids=["laughs", "xxe", "dtd"])
def test_xml_entities_and_dtds_are_refused(data: bytes) -> None:
    assert refusal(data, "report.xml") == (
        "report.xml: the XML declares a DTD or entities, which eval reports never need; refused"
    )


def eval_log(summary_input: str) -> bytes:
    """A deflate `.eval` with the real Inspect 0.3.150 header and one sample's summary."""
    with zipfile.ZipFile(EVAL_FIXTURES / "real" / "inspect-0.3.150.eval") as real:
        header = real.read("header.json")
    sample = {
        "id": 1,
        "epoch": 1,
        "input": summary_input,
        "target": "x",
        "scores": {"includes": {"value": "C"}},
        "total_time": 1.5,
    }
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("header.json", header)
        archive.writestr("summaries.json", json.dumps([sample]))
    return packed.getvalue()


def test_a_sample_that_inflates_past_the_bound_is_refused() -> None:
    bomb = eval_log("A" * (MAX_SAMPLE_CHARS + (1 << 20)))
    assert len(bomb) < MAX_SAMPLE_CHARS // 100  # packs a thousand to one
    message = refusal(bomb, "log.eval")
    assert message.startswith("log.eval: summaries.json: the entry at byte 1 is over 16 MiB")


def test_a_long_sample_within_the_bound_is_read() -> None:
    _, rows, _ = read_cases(io.BytesIO(eval_log("A" * (4 << 20))), name="log.eval")
    (row,) = list(rows)
    assert row.passed is True and row.latency_ms == 1500

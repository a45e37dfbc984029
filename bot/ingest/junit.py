"""JUnit XML from any runner (pytest `--junitxml`, Jest with jest-junit, promptfoo
`-o results.junit.xml`): one case per `<testcase>`, streamed.

An eval file is untrusted input: it is parsed with defusedxml, which refuses DTDs, entity
declarations and external references, so nothing expands. `<failure>` is a wrong answer,
`<error>` a case that got no answer, `<skipped>` is left out (and counted as skipped).

promptfoo's report is read a little further: its failure text lists the assertion types that
failed ("Failed assertions: - latency"), which become typed checks, so a slow answer is not
counted as a wrong one; and its `time` is the answer's latency. Other runners' `time` is the
whole test's duration, so it is not taken as latency.

pytest writes one test as several `<testcase>`s with the same name: each attempt under
pytest-rerunfailures (the earlier ones empty, so they would read as passes; on xdist workers
other tests' reports come between them), and a failed call followed by its teardown error.
Those are one case: failed if a part failed, else errored if a part errored (a rerun's last
attempt decides, the earlier ones carry nothing). pytest escapes non-ASCII parameter ids
(`\\u8fd4`); they are read back as the text they were.
"""

from __future__ import annotations

import codecs
import re
from collections import OrderedDict
from collections.abc import Iterator
from typing import IO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from bot.ingest.case_ids import CaseIds
from bot.ingest.kinds import promptfoo_kind
from bot.ingest.model import CaseRow, Check, IngestError, RunMeta, clip
from bot.ingest.values import read_amount, read_text

PROMPTFOO_CLASS = re.compile(r"^\[(?P<label>[^\]]+)\]\s")
PROMPTFOO_NAME = re.compile(r"^test \d+: ")
FAILED_LIST = re.compile(r"^- (?P<type>[\w:.-]+)\s*$", re.MULTILINE)
PYTEST_PARAM = re.compile(r"\[(?P<param>.+)\]$")
# How many cases back a pytest rerun is looked for: on xdist workers a test's attempts have
# other tests' reports between them (a few, one per worker); this keeps ~1 MB of cases.
RERUN_WINDOW = 1000


def read_junit(stream: IO[bytes], meta: RunMeta, name: str) -> Iterator[CaseRow]:
    parents: list[Element] = []
    ids = CaseIds()
    promptfoo = pytest = False
    # pytest: the latest cases, whose reruns may still come (oldest first), with their index
    pending: OrderedDict[str, tuple[int, CaseRow]] = OrderedDict()
    index = 0
    jest_suite: _JestSuite | None = None
    not_collected: list[str] = []  # pytest: modules it could not import (no test of them ran)
    try:
        for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                if not parents:
                    _root(element, name)
                    promptfoo = element.get("name") == "promptfoo"
                    meta.tool = "promptfoo" if promptfoo else _runner(element)
                    pytest = meta.tool == "pytest"
                if element.tag == "testsuite" and meta.tool == "jest":
                    jest_suite = _JestSuite(element, name)
                parents.append(element)
                continue
            parents.pop()
            if element.tag == "testsuite" and jest_suite is not None:
                for held in jest_suite.close(meta):
                    yield ids.of(held)
                jest_suite = None
            if element.tag != "testcase":
                continue
            where = f"{name}: testcase {index + 1}"
            index += 1
            not_run = _not_collected(element) if pytest else None
            if not_run is not None:
                not_collected.append(not_run)
                meta.notes.append(f"{not_run}: its tests did not run and are not counted")
                continue
            row = _row(element, where, promptfoo, pytest)
            held_back = jest_suite is not None and jest_suite.hold(element, row)
            if parents:
                # Drop the cases read so far from their suite, so memory stays flat. Cases the
                # parser has already built but not yet reported stay alive through their events.
                del parents[-1][:]
            if held_back:
                continue
            if row is None:
                meta.skipped += 1
                continue
            if not pytest:
                yield ids.of(row)
                continue
            seen = pending.get(row.case_id)
            if seen is not None:
                pending[row.case_id] = (seen[0], _same_test(seen[1], row))
                continue
            pending[row.case_id] = (index, row)
            if len(pending) > RERUN_WINDOW:
                yield _counted(ids, *pending.popitem(last=False)[1], name)
    except DefusedXmlException:
        raise IngestError(
            f"{name}: the XML declares a DTD or entities, which eval reports never need; refused"
        ) from None
    except ParseError as exc:
        line, column = exc.position
        raise IngestError(f"{name}: not valid XML at line {line}, column {column + 1}") from None
    if parents:
        raise IngestError(f"{name}: the XML ended early")
    if not_collected and not pending and index == len(not_collected):
        meta.notes.clear()
        raise IngestError(
            f"{name}: {not_collected[0]}, so no test ran; "
            "fix the suite and send the report of a run"
        )
    for at, row in pending.values():
        yield _counted(ids, at, row, name)


def _not_collected(case: Element) -> str | None:
    """pytest's entry for a module it could not import (`collection failure`) or for its own
    crash (`internal error`): not a test case, and no test of it ran."""
    error = case.find("error")
    message = error.get("message") if error is not None else None
    if error is None or message not in ("collection failure", "internal error"):
        return None
    if message == "internal error":
        return "pytest stopped on an internal error (INTERNALERROR)"
    first = (read_text(error.text) or message).splitlines()[0]
    why = first.split(" '", 1)[0].rstrip(".:")  # drop the module's path, which names a temp dir
    what = read_text(case.get("name")) or "?"
    return f"pytest could not collect {what[:80]!r} ({(clip(why) or message)[:120]})"


class _JestSuite:
    """jest-junit writes a `test.todo` as an empty `<testcase time="0">`, as it writes a pass,
    and leaves it out of its suite's `tests` (failing + passing + pending, in its
    buildJsonResults.js): a suite's cases beyond that count are its todos. Empty zero-time
    cases are held until the suite ends, then dropped as todos or kept as passes. When a real
    test also took "0" s, nothing tells which empty case is the todo: as many are left out
    (the last ones), so the counts are right, and a note says the ids may not be."""

    def __init__(self, suite: Element, name: str) -> None:
        declared = suite.get("tests") or ""
        self.declared = int(declared) if declared.isdigit() else None
        self.suite = read_text(suite.get("name")) or "?"
        self.name = name
        self.cases = 0
        self.empty: list[CaseRow] = []

    def hold(self, case: Element, row: CaseRow | None) -> bool:
        self.cases += 1
        empty = row is not None and row.passed is True and len(case) == 0
        if self.declared is None or not empty or case.get("time") != "0":
            return False
        assert row is not None
        self.empty.append(row)
        return True

    def close(self, meta: RunMeta) -> list[CaseRow]:
        todos = self.cases - self.declared if self.declared is not None else 0
        if todos <= 0:
            return self.empty
        todos = min(todos, len(self.empty))
        meta.skipped += todos
        if todos < len(self.empty):
            meta.notes.append(
                f"suite {self.suite[:80]!r}: {todos} test.todo left out of "
                f"{len(self.empty)} empty zero-time cases, which jest-junit writes alike "
                "(the last ones); the counts are right, those cases' ids may not be"
            )
        return self.empty[: len(self.empty) - todos]


def _counted(ids: CaseIds, at: int, row: CaseRow, name: str) -> CaseRow:
    """A pytest case leaving the window: its id must be new, or its first entry was counted."""
    counted = ids.of(row)
    if counted is not row:
        raise IngestError(
            f"{name}: testcase {at}: test {row.case_id[:80]!r} is written again more than "
            f"{RERUN_WINDOW:,} cases after its first entry; too far apart to join as one "
            "test's reruns, so the file is refused rather than counting that test twice"
        )
    return row


def _same_test(first: CaseRow, then: CaseRow) -> CaseRow:
    """Two `<testcase>`s pytest wrote for one test: a rerun, or a call and its teardown."""
    for part in (first, then):
        if part.passed is False:
            return part
    return next((part for part in (first, then) if part.errored), then)


def _root(element: Element, name: str) -> None:
    if element.tag == "promptfoo":  # `-o results.xml`; its JUnit report is `results.junit.xml`
        raise IngestError(
            f"{name}: promptfoo's own XML output (not a JUnit report), which we do not read; "
            "send `-o results.json` (or `-o results.junit.xml`)"
        )
    if element.tag not in ("testsuites", "testsuite"):
        raise IngestError(f"{name}: not a JUnit report (the root is <{element.tag[:40]}>)")


def _runner(root: Element) -> str | None:
    """pytest names its root "pytest tests" (or its suite "pytest"); jest-junit "jest tests"."""
    label = (root.get("name") or "").lower()
    return next((tool for tool in ("pytest", "jest") if tool in label), None)


def _row(case: Element, where: str, promptfoo: bool, pytest: bool) -> CaseRow | None:
    if case.find("skipped") is not None:
        return None
    name = read_text(case.get("name")) or ""
    if pytest:
        name = _unescaped(name)
    classname = read_text(case.get("classname")) or ""
    if not name:
        raise IngestError(f"{where}: attribute 'name' is missing")
    failure, error = case.find("failure"), case.find("error")
    problem = failure if failure is not None else error
    message = None if problem is None else _message(problem)
    checks: list[Check] = []
    label = None
    if promptfoo:
        label_match = PROMPTFOO_CLASS.match(classname)
        label = label_match.group("label") if label_match else None
        if failure is not None:
            checks = _promptfoo_checks(failure.text or "")
    errored = error is not None
    seconds = read_amount(case.get("time"), where, "time") if promptfoo else None
    param = PYTEST_PARAM.search(name)
    return CaseRow(
        case_id=_case_id(name, classname, promptfoo),
        passed=None if errored else failure is None,
        errored=errored,
        latency_ms=None if seconds is None else seconds * 1000,
        label=label,
        question=read_text(param.group("param")) if param else None,
        reason=message,
        checks=checks,
    )


def _unescaped(name: str) -> str:
    """pytest's `test_x[\\u8fd4]` as `test_x[返]`: it escapes a parameter id with Python's
    `unicode_escape` (a backslash too, as `\\\\`), so decoding it gives back the id exactly."""
    param = PYTEST_PARAM.search(name)
    if param is None or "\\" not in param.group("param") or not name.isascii():
        return name
    try:
        decoded = codecs.decode(param.group("param"), "unicode_escape")
    except UnicodeDecodeError:
        return name
    return f"{name[: param.start()]}[{decoded}]"


def _case_id(name: str, classname: str, promptfoo: bool) -> str:
    if promptfoo:
        return PROMPTFOO_NAME.sub("", name) or name
    if not classname or name.startswith(classname) or classname.startswith(name):
        return name
    return f"{classname}::{name}"


def _message(problem: Element) -> str | None:
    text = read_text(problem.get("message")) or read_text(problem.text)
    return clip(text.splitlines()[0]) if text else None


def _promptfoo_checks(text: str) -> list[Check]:
    """The failed assertion types promptfoo lists; passing ones it does not name."""
    _, _, listed = text.partition("Failed assertions:")
    checks: dict[str, Check] = {}
    for match in FAILED_LIST.finditer(listed):
        kind_name = match.group("type")
        checks[kind_name] = Check(
            name=kind_name,
            passed=False,
            kind=promptfoo_kind(kind_name, None),
            tool_type=kind_name,
        )
    return list(checks.values())

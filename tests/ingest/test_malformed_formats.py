"""Malformed versions of every real-tool format (cut short, bytes changed, bytes inserted) get
a one-line IngestError or read cleanly, never another exception; a file that fails is stored
not at all (the run and every case roll back)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.ingest import IngestError, read_cases
from bot.services import evals, uploads
from bot.store.db import make_engine, make_session_factory, upgrade
from bot.store.models import EvalCase, EvalRun, Feature
from tests.support.figures import FULL, scaled
from tests.support.paths import EVAL_FIXTURES

REAL = sorted((EVAL_FIXTURES / "real").iterdir())
FUZZ = settings(
    max_examples=scaled(25, 300),
    deadline=None,
    derandomize=not FULL,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@st.composite
def damaged(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        how = draw(st.sampled_from(["cut", "flip", "insert"]))
        if how == "cut":
            del data[at:]
        elif how == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        else:
            data[at:at] = draw(
                st.sampled_from([b"\x00", b"{", b'"', b",", b"<!ENTITY x>", b"\xff"])
            )
        if not data:
            break
    return bytes(data)


def _outcome(data: bytes, name: str) -> str:
    try:
        _, rows, _ = read_cases(io.BytesIO(data), name=name)
        list(rows)
    except IngestError as error:
        assert error.message and "\n" not in error.message
        return "refused"
    return "read"


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_damaged_files_get_one_line_or_read(path: Path) -> None:
    original = path.read_bytes()

    @FUZZ
    @given(damaged(original))
    def check(data: bytes) -> None:
        _outcome(data, path.name)

    check()


# A CSV has no end marker: cut at a line's end it is a shorter, valid file. The others end
# with a closing bracket, a closing tag or a zip directory, so a cut shows.
ENDED = [path for path in REAL if path.suffix != ".csv"]


@pytest.mark.parametrize("path", ENDED, ids=lambda p: p.name)
def test_a_file_cut_short_stores_nothing(path: Path, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        session.add(
            Feature(
                team_id="T1", name="F", slug="f", channel_id="C1", created_by="U1",
                created_at=datetime.now(UTC), stage="agreed", last_activity_at=datetime.now(UTC),
            )
        )  # fmt: skip
    data = path.read_bytes()
    cut = data[: int(len(data) * 0.7)]
    session = factory()
    try:
        feature = session.scalars(select(Feature)).one()
        with pytest.raises(IngestError):
            uploads.ingest(
                session, SystemClock(), feature, evals.Upload(io.BytesIO(cut), path.name, "cli")
            )
        session.rollback()
        assert session.scalar(select(func.count()).select_from(EvalRun)) == 0
        assert session.scalar(select(func.count()).select_from(EvalCase)) == 0
    finally:
        session.close()
        engine.dispose()

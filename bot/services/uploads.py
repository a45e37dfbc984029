"""Uploads are stored once: the same content for a feature (read the same way), or the same
Idempotency-Key, is recognised and answered with the run already stored. The API, the command
line and file drops all store through `ingest`.

Two uploads of the same content at the same moment cannot both be stored: eval_runs has unique
indexes on (feature, content key) and (feature, idempotency key), and the loser's insert fails
at the run's first flush, before any case is written.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.errors import Conflict
from bot.ingest import Format
from bot.ingest.detect import rewindable
from bot.services.evals import Upload, store_run
from bot.store.models import EvalRun, Feature

HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class Stored:
    """What an upload became: a new run, or the run this content (or key) was stored as."""

    run: EvalRun
    duplicate: bool = False
    by_key: bool = False  # recognised by its Idempotency-Key rather than by its content


def ingest(
    session: Session,
    clock: Clock,
    feature: Feature,
    upload: Upload,
    idempotency_key: str | None = None,
) -> Stored:
    """Store `upload` unless this feature has it already: the same bytes read the same way
    (format, --metric, --map) or the same Idempotency-Key. Uploads by the API, the command line
    and a file drop all come through here."""
    stream = rewindable(upload.stream)
    key = content_key(stream, upload)
    if idempotency_key:
        by_key = session.scalar(
            select(EvalRun).where(
                EvalRun.feature_id == feature.id, EvalRun.idempotency_key == idempotency_key
            )
        )
        if by_key is not None:
            if by_key.content_key != key:
                raise Conflict(
                    f"The Idempotency-Key was used for run {by_key.id}, a different file; "
                    "use a new key for new results."
                )
            return Stored(by_key, duplicate=True, by_key=True)
    same = session.scalar(
        select(EvalRun).where(EvalRun.feature_id == feature.id, EvalRun.content_key == key)
    )
    if same is not None:
        return Stored(same, duplicate=True)
    upload = replace(upload, stream=stream)
    try:
        run = store_run(
            session, clock, feature, upload, content_key=key, idempotency=idempotency_key
        )
    except IntegrityError:
        # Another upload of the same content (or key) committed while this one was reading.
        raise Conflict(
            "The same results were being stored at the same moment; send them again to get "
            "the stored run."
        ) from None
    return Stored(run)


def content_key(stream: BinaryIO, upload: Upload) -> str:
    """sha256 of the bytes and of the options that change how they are read; rewinds."""
    digest = hashlib.sha256()
    options = {
        "format": str(upload.fmt or Format.AUTO),
        "metric": upload.metric,
        "columns": upload.columns.model_dump() if upload.columns else None,
    }
    digest.update(json.dumps(options, sort_keys=True).encode())
    digest.update(b"\0")
    while chunk := stream.read(HASH_CHUNK):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()

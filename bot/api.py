"""The upload API: `POST /api/v1/features/{feature}/eval-runs` with a per-feature bearer token.

The body is the eval file itself. Oversized bodies are refused from Content-Length before a
byte is read (a chunked body without one, once it passes the limit); the rest is streamed to a
spooled temporary file (memory, then disk) and ingested in one transaction, so a bad file stores
nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from tempfile import SpooledTemporaryFile
from typing import BinaryIO, cast
from urllib.parse import parse_qs, unquote

from bot.deps import Deps
from bot.errors import BadInput, Conflict, NotFound
from bot.ingest.model import column_map
from bot.jobs import run_posts
from bot.server import Environ, Route, StartResponse, json_response
from bot.services import evals, kickoff, tokens, uploads, verdicts
from bot.services.export import run_json

log = logging.getLogger(__name__)

PREFIX = "/api/v1/features/"
SUFFIX = "/eval-runs"
READ_CHUNK = 1 << 16
SPOOL_IN_MEMORY = 8 * 1024 * 1024  # bigger bodies go to a temporary file on disk
MAX_IDEMPOTENCY_KEY = 200


class ApiError(Exception):
    def __init__(self, status: str, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def _error(start_response: StartResponse, error: ApiError) -> list[bytes]:
    payload = {"error": error.code, "message": _one_line(error.message)}
    return json_response(start_response, error.status, payload)


def _feature_key(path: str) -> str:
    if not path.startswith(PREFIX) or not path.endswith(SUFFIX):
        raise ApiError("404 Not Found", "not_found", "No such endpoint.")
    # WSGI hands the path over as latin-1 code points of the raw bytes (PEP 3333); URLs are
    # UTF-8, so a slug in another script ("サポート回答") is decoded back from those bytes.
    raw = path[len(PREFIX) : -len(SUFFIX)]
    key = unquote(raw.encode("latin-1", errors="replace").decode("utf-8", errors="replace"))
    if not key or "/" in key:
        raise ApiError("404 Not Found", "not_found", "No such endpoint.")
    return key


def _bearer(environ: Environ) -> str:
    header = str(environ.get("HTTP_AUTHORIZATION") or "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            "401 Unauthorized",
            "unauthorized",
            "Send the feature's upload token as 'Authorization: Bearer <token>' "
            "(get one with /align token <feature>).",
        )
    return token.strip()


def _content_length(environ: Environ) -> int | None:
    """The declared length, or None when the body comes in chunks with no Content-Length
    (`curl -T -` from a pipe, a client streaming a generator): then it is read to its end."""
    declared = str(environ.get("CONTENT_LENGTH") or "").strip()
    if not declared:
        return None
    try:
        return max(0, int(declared))
    except ValueError:
        raise ApiError(
            "400 Bad Request", "bad_request", "Content-Length is not a number."
        ) from None


def _too_large(limit: int) -> ApiError:
    return ApiError(
        "413 Payload Too Large",
        "too_large",
        f"The file is larger than the upload limit of {limit:,} bytes.",
    )


def _spool_body(environ: Environ, length: int | None, limit: int) -> SpooledTemporaryFile[bytes]:
    """Copy the body to a spooled file, reading no more than Content-Length promised, or, with
    none, to its end and never more than one byte past the upload limit."""
    # Returned open: the caller closes it with `with`.
    spool: SpooledTemporaryFile[bytes] = SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    source = environ["wsgi.input"]
    remaining = limit + 1 if length is None else length
    while remaining > 0:
        chunk = source.read(min(READ_CHUNK, remaining))
        if not chunk:
            break
        spool.write(chunk)
        remaining -= len(chunk)
    if length is None and remaining <= 0:
        spool.close()
        raise _too_large(limit)
    spool.seek(0)
    return spool


def _query(environ: Environ) -> dict[str, str]:
    values = parse_qs(str(environ.get("QUERY_STRING") or ""), keep_blank_values=False)
    return {key: items[0] for key, items in values.items() if items}


def eval_runs_route(deps: Deps) -> Route:
    """The WSGI route for eval uploads, bound to the bot's dependencies."""

    def route(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            return _handle(deps, environ, start_response)
        except ApiError as error:
            return _error(start_response, error)
        except Exception:
            error_id = uuid.uuid4().hex[:8]
            log.exception("upload failed (error id %s)", error_id)
            failure = ApiError(
                "500 Internal Server Error",
                "internal",
                f"Something went wrong on our side (error id {error_id}); nothing was stored.",
            )
            return _error(start_response, failure)

    return route


def _handle(deps: Deps, environ: Environ, start_response: StartResponse) -> list[bytes]:
    key = _feature_key(str(environ.get("PATH_INFO") or ""))
    token = _bearer(environ)
    limit = deps.settings.GROUNDLINE_MAX_UPLOAD_BYTES
    length = _content_length(environ)
    with deps.unit_of_work() as session:
        owner = tokens.verify(session, token)
        if owner is None:
            raise ApiError(
                "401 Unauthorized", "unauthorized", "That upload token is unknown or revoked."
            )
        feature = kickoff.get_feature(session, owner.team_id, key)
        if feature is None:
            raise ApiError("404 Not Found", "not_found", f"Unknown feature '{key[:80]}'.")
        if feature.id != owner.id:
            raise ApiError(
                "401 Unauthorized", "unauthorized", "That upload token belongs to another feature."
            )
        _refuse_wrapped(environ)
        if length is not None and length > limit:
            raise _too_large(limit)  # refused before reading the body
        query = _query(environ)
        idempotency_key = _idempotency_key(environ)
        with _spool_body(environ, length, limit) as body:
            try:
                upload = evals.Upload(
                    cast(BinaryIO, body),
                    name=query.get("name", "upload")[:120],
                    source="api",
                    fmt=query.get("format", "auto"),
                    metric=query.get("metric") or None,
                    label=query.get("label") or None,
                    columns=column_map(_all(environ, "map"), query.get("threshold")),
                )
                stored = uploads.ingest(session, deps.clock, feature, upload, idempotency_key)
            except NotFound as exc:
                raise ApiError("404 Not Found", "not_found", exc.message) from None
            except Conflict as exc:
                raise ApiError("409 Conflict", "conflict", exc.message) from None
            except BadInput as exc:
                raise ApiError("400 Bad Request", "bad_input", exc.message) from None
        payload = run_json(stored.run)
        # The same verdicts `groundline check` prints (null until targets are agreed).
        payload["verdicts"] = verdicts.upload_verdicts(session, feature, stored.run)
        if stored.duplicate:
            # A retry, or the same file again: point at the run stored before; say nothing.
            payload["duplicate"] = True
            payload["message"] = evals.duplicate_line(feature, stored.run)
            return json_response(start_response, "200 OK", payload)
        run_posts.after_ingest(session, deps.clock, feature, stored.run)
    return json_response(start_response, "201 Created", payload)


def _refuse_wrapped(environ: Environ) -> None:
    """The body must be the file itself: a multipart form (`curl -F`) or a compressed body
    would be misread as a file in no format we know, so each is refused saying how to send."""
    content_type = str(environ.get("CONTENT_TYPE") or "").strip().lower()
    if content_type.startswith("multipart/"):
        raise ApiError(
            "415 Unsupported Media Type",
            "unsupported_media_type",
            "This upload is a multipart form (curl -F); send the eval file itself as the body, "
            "e.g. curl --data-binary @results.json. Nothing was stored.",
        )
    encoding = str(environ.get("HTTP_CONTENT_ENCODING") or "").strip().lower()
    if encoding not in ("", "identity"):
        raise ApiError(
            "415 Unsupported Media Type",
            "unsupported_media_type",
            f"Content-Encoding {encoding[:40]} is not supported: send the file uncompressed. "
            "Nothing was stored.",
        )


def _idempotency_key(environ: Environ) -> str | None:
    """The `Idempotency-Key` header (the IETF httpapi draft's name): a retry with the same key
    and body gets the run stored the first time; the same key with another body is a 409."""
    key = str(environ.get("HTTP_IDEMPOTENCY_KEY") or "").strip()
    if not key:
        return None
    if len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise ApiError(
            "400 Bad Request",
            "bad_request",
            f"Idempotency-Key must be printable and at most {MAX_IDEMPOTENCY_KEY} characters.",
        )
    return key


def _all(environ: Environ, name: str) -> list[str]:
    return parse_qs(str(environ.get("QUERY_STRING") or "")).get(name, [])

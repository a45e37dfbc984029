"""files.* methods: files.info and the two-step upload that files_upload_v2 uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from bot.localslack.workspace import BOT_ID, BOT_USER_ID, StoredFile, Workspace

Params = dict[str, Any]
Answer = dict[str, Any]


class ApiError(Exception):
    """Makes the method answer ok=false with this error code."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class FileMethods:
    ws: Workspace
    _base_url: Callable[[], str]

    # --- files ----------------------------------------------------------------------------
    def files_info(self, params: Params, team_id: str) -> Answer:
        with self.ws.lock:
            stored = self.ws.files.get(str(params["file"]))
            if stored is None or not stored.uploaded:
                raise ApiError("file_not_found")
            return {"file": self.file_object(stored)}

    def upload_url(self, params: Params, team_id: str) -> Answer:
        file_id = self.ws.next_id("F")
        pending = StoredFile(file_id, str(params["filename"]), b"", BOT_USER_ID, uploaded=False)
        with self.ws.lock:
            self.ws.files[file_id] = pending
        return {"upload_url": f"{self._base_url()}/upload/{file_id}", "file_id": file_id}

    def complete_upload(self, params: Params, team_id: str) -> Answer:
        entries = params["files"]
        if not isinstance(entries, list) or not entries:
            raise ApiError("invalid_arguments")
        channel_id = params.get("channel_id") or next(
            iter(str(params.get("channels", "")).split(","))
        )
        thread_ts = params.get("thread_ts")
        done: list[dict[str, Any]] = []
        with self.ws.lock:
            for entry in entries:
                stored = self.ws.files.get(str(entry.get("id")))
                if stored is None or not stored.uploaded:
                    raise ApiError("file_not_found")
                stored.title = str(entry.get("title") or stored.name)
                if channel_id:
                    stored.channels.append(str(channel_id))
                    stored.thread_ts = str(thread_ts) if thread_ts else None
                done.append(self.file_object(stored))
            if channel_id:
                shared: dict[str, Any] = {"user": BOT_USER_ID, "bot_id": BOT_ID, "files": done}
                shared["text"] = str(params.get("initial_comment") or "")
                if thread_ts:
                    shared["thread_ts"] = str(thread_ts)
                self.ws.add_message(str(channel_id), shared)
        return {"files": done}

    def file_object(self, stored: StoredFile) -> dict[str, Any]:
        # Slack's file URLs carry the name percent-encoded (files.slack.com/files-pri/T…-F…/name).
        url = f"{self._base_url()}/files/{stored.id}/{quote(stored.name)}"
        return {
            "id": stored.id,
            "name": stored.name,
            "title": stored.title or stored.name,
            "user": stored.user,
            "size": len(stored.content),
            "mimetype": "application/octet-stream",
            "filetype": stored.name.rsplit(".", 1)[-1] if "." in stored.name else "binary",
            "url_private": url,
            "url_private_download": f"{url}?download=1",
            "channels": list(stored.channels),
        }

"""The Web API methods the stand-in answers, working on a Workspace."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from typing import Any

from bot.localslack.files_api import ApiError, FileMethods
from bot.localslack.members_api import MemberMethods
from bot.localslack.workspace import APP_ID, BOT_ID, BOT_USER_ID, Workspace

Params = dict[str, Any]
Answer = dict[str, Any]
__all__ = ["ApiError", "WebApi", "decode_json_params"]


class WebApi(FileMethods, MemberMethods):
    def __init__(
        self,
        workspace: Workspace,
        base_url: Callable[[], str],
        socket_url: Callable[[], str],
        register_token: Callable[[str, str], None],
    ) -> None:
        self.ws = workspace
        self._base_url = base_url
        self._socket_url = socket_url
        self._register_token = register_token
        self.oauth_codes: dict[str, tuple[str, str, str]] = {}
        self.handlers: dict[str, Callable[[Params, str], Answer]] = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.post_message,
            "chat.update": self.update_message,
            "chat.postEphemeral": self.post_ephemeral,
            "chat.getPermalink": self.permalink,
            "chat.delete": self.delete_message,
            "conversations.open": self.conversations_open,
            "conversations.history": self.conversations_history,
            "views.publish": self.views_publish,
            "views.open": self.views_open,
            "views.push": self.views_open,
            "views.update": self.views_update,
            "users.info": self.users_info,
            "conversations.info": self.conversations_info,
            "conversations.members": self.conversations_members,
            "conversations.replies": self.conversations_replies,
            "reactions.add": self.reactions_add,
            "files.info": self.files_info,
            "files.getUploadURLExternal": self.upload_url,
            "files.completeUploadExternal": self.complete_upload,
            "oauth.v2.access": self.oauth_access,
            "apps.connections.open": self.connections_open,
        }

    # --- auth -----------------------------------------------------------------------------
    def auth_test(self, params: Params, team_id: str) -> Answer:
        return {
            "url": f"{self._base_url()}/",
            "team": self.ws.team_name,
            "user": "groundline",
            "team_id": team_id,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def oauth_access(self, params: Params, team_id: str) -> Answer:
        team_id, team_name, user_id = self.oauth_codes.get(
            str(params["code"]), (self.ws.team_id, self.ws.team_name, "U0PM")
        )
        token = f"xoxb-{team_id}-{self.ws.next_id('')[2:]}"
        self._register_token(token, team_id)
        return {
            "access_token": token,
            "token_type": "bot",
            "scope": "commands,chat:write,users:read,files:read,files:write,reactions:write",
            "bot_user_id": BOT_USER_ID,
            "app_id": APP_ID,
            "team": {"id": team_id, "name": team_name},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": user_id},
        }

    def connections_open(self, params: Params, team_id: str) -> Answer:
        return {"url": self._socket_url()}

    # --- messages -------------------------------------------------------------------------
    def _member_channel(self, params: Params) -> str:
        channel_id = str(params["channel"])
        if not channel_id:
            raise ApiError("channel_not_found")
        if not self.ws.channel(channel_id).bot_is_member:
            raise ApiError("not_in_channel")
        return channel_id

    def post_message(self, params: Params, team_id: str) -> Answer:
        channel_id = self._member_channel(params)
        if not params.get("text") and not params.get("blocks") and not params.get("attachments"):
            raise ApiError("no_text")
        message = self.ws.add_message(channel_id, bot_message(params, team_id))
        message.pop("channel")
        return {"channel": channel_id, "ts": message["ts"], "message": message}

    def update_message(self, params: Params, team_id: str) -> Answer:
        channel_id = str(params["channel"])
        with self.ws.lock:
            stored = self.ws.find_message(channel_id, str(params["ts"]))
            if stored is None:
                raise ApiError("message_not_found")
            for key in ("text", "blocks", "attachments", "metadata"):
                if key in params:
                    stored[key] = params[key]
            stored["edited"] = {"user": BOT_USER_ID, "ts": self.ws.next_ts()}
            message = copy.deepcopy(stored)
        message.pop("channel")
        return {"channel": channel_id, "ts": message["ts"], "text": message.get("text", "")} | {
            "message": message
        }

    def post_ephemeral(self, params: Params, team_id: str) -> Answer:
        channel_id = self._member_channel(params)
        with self.ws.lock:
            channel = self.ws.channel(channel_id)
            if not channel.open and str(params["user"]) not in channel.members:
                # https://docs.slack.dev/reference/methods/chat.postEphemeral: the recipient
                # must be in the channel.
                raise ApiError("user_not_in_channel")
        message = bot_message(params, team_id) | {
            "ts": self.ws.next_ts(),
            "is_ephemeral": True,
            "to_user": str(params["user"]),
            "channel": channel_id,
        }
        with self.ws.lock:
            self.ws.channel(channel_id).ephemeral.append(message)
        return {"message_ts": message["ts"]}

    def permalink(self, params: Params, team_id: str) -> Answer:
        channel_id, ts = str(params["channel"]), str(params["message_ts"])
        return {
            "channel": channel_id,
            "permalink": f"{self._base_url()}/archives/{channel_id}/p{ts.replace('.', '')}",
        }

    def delete_message(self, params: Params, team_id: str) -> Answer:
        channel_id, ts = str(params["channel"]), str(params["ts"])
        with self.ws.lock:
            channel = self.ws.channel(channel_id)
            kept = [m for m in channel.messages if m["ts"] != ts]
            if len(kept) == len(channel.messages):
                raise ApiError("message_not_found")
            channel.messages = kept
        return {"channel": channel_id, "ts": ts}

    def conversations_open(self, params: Params, team_id: str) -> Answer:
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if params.get("channel"):
            return {"channel": self.ws.channel(str(params["channel"])).info()}
        if not users:
            raise ApiError("users_list_not_supplied")
        channel_id = "D" + users[0][1:] if len(users) == 1 else "G" + "".join(u[1:] for u in users)
        return {"channel": self.ws.channel(channel_id).info()}

    def conversations_history(self, params: Params, team_id: str) -> Answer:
        found = self.ws.messages(str(params["channel"]))
        top_level = [m for m in found if m.get("thread_ts") in (None, m["ts"])]
        for message in top_level:
            message.pop("channel")
        return {"messages": list(reversed(top_level)), "has_more": False}

    def conversations_replies(self, params: Params, team_id: str) -> Answer:
        channel_id = str(params["channel"])
        thread = self.ws.messages(channel_id, str(params["ts"]))
        if not thread:
            raise ApiError("thread_not_found")
        for message in thread:
            message.pop("channel")
        return {"messages": thread, "has_more": False}

    def reactions_add(self, params: Params, team_id: str) -> Answer:
        name = str(params["name"])
        with self.ws.lock:
            stored = self.ws.find_message(str(params["channel"]), str(params["timestamp"]))
            if stored is not None:  # a message we never saw is allowed: tests may invent them
                reactions: list[dict[str, Any]] = stored.setdefault("reactions", [])
                if any(r["name"] == name for r in reactions):
                    raise ApiError("already_reacted")
                reactions.append({"name": name, "users": [BOT_USER_ID], "count": 1})
        return {}

    # --- views and users ------------------------------------------------------------------
    def views_publish(self, params: Params, team_id: str) -> Answer:
        view = self._new_view(params, team_id)
        with self.ws.lock:
            self.ws.home_views[str(params["user_id"])] = view
        return {"view": view}

    def views_open(self, params: Params, team_id: str) -> Answer:
        if not params.get("trigger_id"):
            raise ApiError("invalid_trigger_id")
        view = self._new_view(params, team_id)
        with self.ws.lock:
            self.ws.views[view["id"]] = view
        return {"view": view}

    def views_update(self, params: Params, team_id: str) -> Answer:
        with self.ws.lock:
            view_id = params.get("view_id")
            if view_id is None:
                external = params.get("external_id")
                matches = [v["id"] for v in self.ws.views.values() if v["external_id"] == external]
                view_id = matches[0] if matches else None
            if view_id not in self.ws.views:
                raise ApiError("not_found")
            view = self._new_view(params, team_id) | {"id": view_id}
            self.ws.views[str(view_id)] = view
        return {"view": view}

    def _new_view(self, params: Params, team_id: str) -> dict[str, Any]:
        given = params["view"]
        if not isinstance(given, dict):
            raise ApiError("invalid_arguments")
        view_id = self.ws.next_id("V")
        return {
            "id": view_id,
            "team_id": team_id,
            "type": given.get("type", "modal"),
            "blocks": given.get("blocks", []),
            "private_metadata": given.get("private_metadata", ""),
            "callback_id": given.get("callback_id", ""),
            "external_id": given.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{self.ws.next_ts()}.hash",
            "title": given.get("title"),
            "submit": given.get("submit"),
            "close": given.get("close"),
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": APP_ID,
            "app_installed_team_id": team_id,
            "bot_id": BOT_ID,
        }

    def users_info(self, params: Params, team_id: str) -> Answer:
        return {"user": self.ws.user(str(params["user"])) | {"team_id": team_id}}


def bot_message(params: Params, team_id: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "team": team_id,
        "text": str(params.get("text") or ""),
    }
    for key in ("blocks", "attachments", "metadata", "thread_ts"):
        if params.get(key) is not None:
            message[key] = params[key]
    return message


JSON_PARAMS = ("blocks", "attachments", "view", "files", "metadata", "user_auth_blocks")


def decode_json_params(params: Params) -> Params:
    """Form-encoded calls carry blocks, views and the like as JSON strings; decode them."""
    decoded = dict(params)
    for key in JSON_PARAMS:
        value = decoded.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(json.JSONDecodeError):
                decoded[key] = json.loads(value)
    return decoded

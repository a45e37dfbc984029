"""Which tokens the stand-in accepts, and for which team."""

from __future__ import annotations

import threading

NO_TOKEN_METHODS = frozenset({"oauth.v2.access", "oauth.v2.exchange"})
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})


class TokenRegistry:
    def __init__(self, bot_token: str, team_id: str, app_token: str | None) -> None:
        self.team_id = team_id
        self.app_token = app_token
        self._bot_tokens = {bot_token: team_id}
        self._lock = threading.Lock()

    def add(self, token: str, team_id: str) -> None:
        with self._lock:
            self._bot_tokens[token] = team_id

    def team_of(self, token: str | None) -> str | None:
        with self._lock:
            return self._bot_tokens.get(token or "")

    def authorize(self, method: str, token: str | None) -> tuple[str | None, str]:
        """(error code or None, team id the call acts for)."""
        if method in NO_TOKEN_METHODS:
            return None, self.team_id
        if not token:
            return "not_authed", ""
        if method in APP_TOKEN_METHODS:
            if token.startswith("xapp-") and token == self.app_token:
                return None, self.team_id
            return ("not_allowed_token_type" if self.team_of(token) else "invalid_auth"), ""
        team_id = self.team_of(token)
        return (None, team_id) if team_id else ("invalid_auth", "")

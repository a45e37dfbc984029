"""The one place that reads configuration: environment variables and an optional `.env` file."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from bot.errors import ConfigError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=True
    )

    SLACK_BOT_TOKEN: SecretStr | None = None
    SLACK_SIGNING_SECRET: SecretStr | None = None
    SLACK_APP_TOKEN: SecretStr | None = None
    SLACK_CLIENT_ID: str | None = None
    SLACK_CLIENT_SECRET: SecretStr | None = None
    SLACK_STATE_SECRET: SecretStr | None = None
    SLACK_API_URL: str = "https://slack.com/api/"
    DATABASE_URL: str = "sqlite:///var/groundline.db"
    OPENAI_API_KEY: SecretStr | None = None
    OPENAI_BASE_URL: str | None = None
    OPENAI_MODEL: str = "gpt-4o-mini"
    HOST: str = "127.0.0.1"
    PORT: int = Field(default=3000, ge=0, le=65535)
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    # Not in the contract; operators rarely need them. Named with the product prefix.
    GROUNDLINE_NUDGE_AFTER_HOURS: float = Field(default=24.0, gt=0)
    GROUNDLINE_MAX_UPLOAD_BYTES: int = Field(default=50 * 1024 * 1024, gt=0)
    GROUNDLINE_SCHEDULER: bool = True
    # Web processes `serve` forks over HTTP to answer Slack (bot/web_processes.py); one per core.
    GROUNDLINE_WEB_PROCESSES: int = Field(default=2, ge=1, le=64)
    # Days to keep eval runs' per-case rows (0: forever); see bot/jobs/retention.py.
    GROUNDLINE_CASE_RETENTION_DAYS: int = Field(default=90, ge=0)
    # Fernet key(s), comma-separated, to encrypt OAuth tokens at rest (bot/store/sealed.py).
    GROUNDLINE_ENCRYPTION_KEY: SecretStr | None = None
    # How often each replica looks for due reports; tests shorten it.
    GROUNDLINE_REPORT_TICK_SECONDS: float = Field(default=60.0, gt=0)

    @field_validator("SLACK_BOT_TOKEN")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must start with xoxb-")
        return value

    @field_validator("SLACK_APP_TOKEN")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must start with xapp-")
        return value

    @field_validator("SLACK_SIGNING_SECRET")
    @classmethod
    def _signing_secret_set(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty secret would start and then refuse every request from Slack as forged.
        if value is not None and not value.get_secret_value().strip():
            raise ValueError(
                "is empty: set it to the Signing Secret on your Slack app's Basic Information "
                "page, or leave it unset for Socket Mode"
            )
        return value

    @field_validator("GROUNDLINE_ENCRYPTION_KEY")
    @classmethod
    def _encryption_key_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        from bot.store.sealed import read_keys  # imports cryptography only when a key is set

        try:
            read_keys(value)
        except ConfigError as error:
            raise ValueError(error.problem) from None
        return value

    @field_validator("SLACK_API_URL")
    @classmethod
    def _api_url_shape(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("DATABASE_URL")
    @classmethod
    def _database_url_shape(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("must be a sqlite:// or postgresql:// SQLAlchemy URL")
        if value.startswith(("postgresql://", "postgres://")):
            # psycopg 3 is the driver we ship.
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        try:
            url = make_url(value)
            url.get_dialect()
            _ = url.port  # a port that is not a number fails here
        except (ArgumentError, ValueError, NoSuchModuleError):
            # Never echo the value: it may hold a password.
            raise ValueError(
                "is not a valid URL (e.g. sqlite:///var/groundline.db or "
                "postgresql://user:password@host:5432/groundline)"
            ) from None
        if url.get_backend_name() == "postgresql" and not (url.host or url.query.get("host")):
            raise ValueError("names no host (postgresql://user:password@host:5432/database)")
        return value

    @property
    def oauth_enabled(self) -> bool:
        return bool(self.SLACK_CLIENT_ID and self.SLACK_CLIENT_SECRET and self.SLACK_STATE_SECRET)

    def secret_values(self) -> list[str]:
        """What the logs must never show (bot/logs.py scrubs these values)."""
        from bot.logs import secret_values

        return secret_values(
            self.SLACK_BOT_TOKEN,
            self.SLACK_SIGNING_SECRET,
            self.SLACK_APP_TOKEN,
            self.SLACK_CLIENT_SECRET,
            self.SLACK_STATE_SECRET,
            self.OPENAI_API_KEY,
            self.GROUNDLINE_ENCRYPTION_KEY,
            database_url=self.DATABASE_URL,
        )

    @property
    def llm_enabled(self) -> bool:
        return self.OPENAI_API_KEY is not None

    def require_one_install_mode(self) -> None:
        if self.oauth_enabled and self.SLACK_BOT_TOKEN is not None:
            raise ConfigError(
                "SLACK_BOT_TOKEN",
                "must not be set together with SLACK_CLIENT_ID/SECRET/STATE_SECRET: "
                "choose one workspace (bot token) or many (OAuth)",
            )

    def require_http_mode(self) -> None:
        """`serve` over HTTP cannot verify Slack without the signing secret."""
        if self.SLACK_SIGNING_SECRET is None:
            raise ConfigError("SLACK_SIGNING_SECRET", "is required to serve Slack over HTTP")
        if not self.oauth_enabled and self.SLACK_BOT_TOKEN is None:
            raise ConfigError(
                "SLACK_BOT_TOKEN", "is required (or SLACK_CLIENT_ID/SECRET/STATE_SECRET for OAuth)"
            )


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning a validation failure into one ConfigError naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "settings"
        # The message never echoes the input value: it may be a secret.
        raise ConfigError(name, first["msg"].removeprefix("Value error, ")) from None

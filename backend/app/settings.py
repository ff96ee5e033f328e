"""Typed settings from the environment. A bad value stops the process at startup with a
message that names the variable and the fix, instead of failing on the first request."""

from __future__ import annotations

from functools import cached_property

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_GEMINI_MODEL = "gemini-3.8-flash"

# Schemes people write for Postgres, all served by the psycopg 3 driver.
_POSTGRES_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg"}
_ACCEPTED = "postgresql://, postgres://, postgresql+psycopg:// or sqlite:///PATH"


def normalize_database_url(raw: str) -> str:
    """Returns DATABASE_URL in the form SQLAlchemy needs (driver psycopg for Postgres).

    Raises ValueError with a readable reason; the message never contains the password.
    """
    raw = raw.strip()
    if not raw:
        raise ValueError(f"is empty; set it to a {_ACCEPTED} URL")
    scheme = raw.split("://", 1)[0].lower() if "://" in raw else ""
    if scheme in _POSTGRES_SCHEMES:
        raw = "postgresql+psycopg://" + raw.split("://", 1)[1]
    elif scheme != "sqlite":
        shown = f"scheme '{scheme}'" if scheme else "no scheme"
        raise ValueError(f"has {shown}; it must start with {_ACCEPTED}")
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError) as err:
        # The parser's message can echo the URL; name only the kind of problem.
        raise ValueError(
            f"could not be parsed ({type(err).__name__}); expected {_ACCEPTED}"
        ) from None
    if url.get_backend_name() == "postgresql":
        if not url.host:
            raise ValueError("has no host; expected postgresql://USER:PASSWORD@HOST:PORT/DB")
        if not url.database:
            raise ValueError(
                "has no database name; expected postgresql://USER:PASSWORD@HOST:PORT/DB"
            )
    elif not url.database:
        raise ValueError(
            "has no file path; expected sqlite:///relative.db or sqlite:////abs/path.db"
        )
    return url.render_as_string(hide_password=False)


def describe_database(url: str | URL) -> str:
    """`host=H port=P db=NAME` for logs: never the user name or password."""
    u = make_url(url) if isinstance(url, str) else url
    if u.get_backend_name() == "sqlite":
        return f"host=- port=- db={u.database}"
    return f"host={u.host} port={u.port or 5432} db={u.database}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    database_url: str = Field(description="SQLAlchemy URL of the database (required).")
    gemini_api_key: SecretStr | None = None
    gemini_model: str = DEFAULT_GEMINI_MODEL
    gemini_base_url: str | None = None
    # One Gemini HTTP call; the chat request fails with 504 when it is exceeded.
    gemini_timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    # Attempts per Gemini call including the first (429/5xx/timeouts are retried).
    gemini_retry_attempts: int = Field(default=2, ge=1, le=5)
    gemini_retry_initial_delay_seconds: float = Field(default=0.5, ge=0, le=30)
    # Model turns per chat message before the loop is declared runaway.
    chat_max_tool_rounds: int = Field(default=8, ge=1, le=32)
    # Chat turns in flight at once (each may wait on Gemini for GEMINI_TIMEOUT_SECONDS);
    # more are refused with 503 + Retry-After, so a slow model never starves the other
    # requests of worker threads or database connections.
    chat_max_concurrent_turns: int = Field(default=8, ge=1, le=64)
    # Stored messages replayed to Gemini as context.
    chat_history_messages: int = Field(default=20, ge=0, le=200)
    # How long startup and `python3 -m app.migrate` wait for the database to accept connections.
    database_wait_seconds: float = Field(default=60.0, ge=0, le=3600)
    # Bounds on a database that stopped answering, so requests fail with 503 in seconds
    # instead of hanging: connection setup, one statement (round trip), waiting for a free
    # pooled connection.
    database_connect_timeout_seconds: int = Field(default=5, ge=1, le=120)
    database_statement_timeout_seconds: float = Field(default=5.0, ge=0.1, le=600)
    database_pool_timeout_seconds: float = Field(default=5.0, ge=0.1, le=600)
    # All of one request's database waits together (pooled connection, connect, round
    # trips): the bound within which a request answers 503 when the database is frozen.
    database_request_timeout_seconds: float = Field(default=5.0, ge=1, le=600)
    # Connections of the list endpoint's pool on the event loop (app.loop_pool), opened as
    # needed: its queries are short and run one at a time per connection, so a few serve
    # a whole worker's load.
    database_loop_pool_size: int = Field(default=8, ge=1, le=100)
    # Apply migrations when the app starts. Unset means: yes for SQLite (the zero-setup local
    # run), no for PostgreSQL (the chart runs `python3 -m app.migrate` before pods serve).
    migrate_on_startup: bool | None = None
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=10 * 1024 * 1024)
    log_level: str = "INFO"
    # text: one human-readable line per record; json: one JSON object per line (the chart).
    log_format: str = "text"
    # The separate listener of GET /metrics (Prometheus text format); 0 turns metrics off.
    metrics_port: int = Field(default=9090, ge=0, le=65535)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, v: str) -> str:
        return normalize_database_url(v)

    @field_validator("gemini_api_key", mode="before")
    @classmethod
    def _empty_key_is_none(cls, v: object) -> object:
        return None if v is None or (isinstance(v, str) and not v.strip()) else v

    @field_validator("gemini_base_url", mode="before")
    @classmethod
    def _empty_base_url_is_none(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("gemini_model", mode="before")
    @classmethod
    def _empty_model_is_default(cls, v: object) -> object:
        return DEFAULT_GEMINI_MODEL if isinstance(v, str) and not v.strip() else v

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, v: str) -> str:
        v = v.upper()
        if v not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return v

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, v: str) -> str:
        v = v.strip().lower()
        if v not in {"text", "json"}:
            raise ValueError("must be text (human-readable lines) or json (one object per line)")
        return v

    @cached_property
    def is_sqlite(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "sqlite"

    @property
    def should_migrate_on_startup(self) -> bool:
        return self.is_sqlite if self.migrate_on_startup is None else self.migrate_on_startup

    @property
    def gemini_enabled(self) -> bool:
        return self.gemini_api_key is not None


class SettingsError(SystemExit):
    """Raised for a bad environment: a SystemExit so the process stops with just the message."""


def format_validation_error(err: ValidationError) -> str:
    lines = ["invalid configuration:"]
    for e in err.errors():
        name = "_".join(str(p) for p in e["loc"]).upper() or "settings"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "missing":
            msg = "is required but not set"
        lines.append(f"  {name} {msg}")
    return "\n".join(lines)


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        # include_input is not used: the message must never echo a secret value.
        raise SettingsError(format_validation_error(err)) from None

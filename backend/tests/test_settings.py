"""Settings: DATABASE_URL forms, fail-fast messages that name the variable, no secrets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.settings import DEFAULT_GEMINI_MODEL, SettingsError, describe_database, load_settings

BACKEND = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db:5432/todo", "postgresql+psycopg://u:p@db:5432/todo"),
        ("postgres://u:p@db/todo", "postgresql+psycopg://u:p@db/todo"),
        ("postgresql+psycopg://u:p@db:6543/todo", "postgresql+psycopg://u:p@db:6543/todo"),
        ("  postgresql://u@db/todo  ", "postgresql+psycopg://u@db/todo"),
        ("sqlite:///todo.db", "sqlite:///todo.db"),
        ("sqlite:////tmp/x/todo.db", "sqlite:////tmp/x/todo.db"),
    ],
)
def test_accepted_database_urls(given: str, expected: str) -> None:
    assert load_settings(database_url=given).database_url == expected


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("mysql://u:hunter2@db/todo", "scheme 'mysql'"),
        ("db.example.com/todo", "no scheme"),
        ("", "is empty"),
        ("postgresql://u:hunter2@/todo", "no host"),
        ("postgresql://u:hunter2@db:5432", "no database name"),
        ("postgresql://u:hunter2@db:notaport/todo", "could not be parsed"),
        ("sqlite://", "no file path"),
    ],
)
def test_rejected_database_urls_name_the_variable_and_hide_the_password(
    given: str, words: str
) -> None:
    with pytest.raises(SettingsError) as exc:
        load_settings(database_url=given)
    message = str(exc.value)
    assert "DATABASE_URL" in message
    assert words in message
    assert "hunter2" not in message


def test_missing_database_url() -> None:
    with pytest.raises(SettingsError, match="DATABASE_URL is required but not set"):
        load_settings()


def test_gemini_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    monkeypatch.setenv("GEMINI_API_KEY", "")
    monkeypatch.setenv("GEMINI_MODEL", "")
    s = load_settings()
    assert not s.gemini_enabled
    assert s.gemini_model == DEFAULT_GEMINI_MODEL
    monkeypatch.setenv("GEMINI_API_KEY", "k-123")
    monkeypatch.setenv("GEMINI_MODEL", "gemini-other")
    s = load_settings()
    assert s.gemini_enabled
    assert s.gemini_model == "gemini-other"
    assert "k-123" not in repr(s)  # SecretStr: never printed by accident


def test_bad_numbers_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    monkeypatch.setenv("GEMINI_TIMEOUT_SECONDS", "-1")
    with pytest.raises(SettingsError, match="GEMINI_TIMEOUT_SECONDS"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value", "fix"),
    [
        ("LOG_FORMAT", "yaml", "text (human-readable lines) or json"),
        ("METRICS_PORT", "70000", "less than or equal to 65535"),
        ("METRICS_PORT", "-1", "greater than or equal to 0"),
        ("METRICS_PORT", "metrics", "valid integer"),
    ],
)
def test_bad_log_format_and_metrics_port_are_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, fix: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name) as err:
        load_settings()
    assert fix in str(err.value)


def test_log_format_and_metrics_port_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    s = load_settings()
    assert (s.log_format, s.metrics_port) == ("text", 9090)
    monkeypatch.setenv("LOG_FORMAT", " JSON ")
    monkeypatch.setenv("METRICS_PORT", "0")
    s = load_settings()
    assert (s.log_format, s.metrics_port) == ("json", 0)


def test_migrate_on_startup_defaults() -> None:
    assert load_settings(database_url="sqlite:///x.db").should_migrate_on_startup
    assert not load_settings(database_url="postgresql://u@h/d").should_migrate_on_startup
    assert load_settings(
        database_url="postgresql://u@h/d", migrate_on_startup=True
    ).should_migrate_on_startup


def test_describe_database_has_no_credentials() -> None:
    text = describe_database("postgresql+psycopg://admin:hunter2@db.internal:6432/todo")
    assert text == "host=db.internal port=6432 db=todo"
    assert describe_database("postgresql+psycopg://u@db/todo") == "host=db port=5432 db=todo"


@pytest.mark.parametrize("entry", ["app.main", "app.migrate"])
def test_process_fails_fast_on_bad_url(entry: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "mysql://root:hunter2@db/todo"}
    args = (
        [sys.executable, "-m", "uvicorn", "app.main:app"]
        if entry == "app.main"
        else [sys.executable, "-m", "app.migrate"]
    )
    proc = subprocess.run(
        args, cwd=BACKEND, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "DATABASE_URL has scheme 'mysql'" in output
    assert "hunter2" not in output
    assert "Traceback" not in output

"""`python3 -m app.migrate`: waits for the database (bounded), then applies the Alembic
migrations up to head. On PostgreSQL it holds an advisory lock while doing so, so several
replicas (or init containers) starting at once migrate one after the other, safely."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from app.db import make_engine, wait_for_database
from app.logging_setup import configure_logging
from app.settings import Settings, SettingsError, describe_database, load_settings

log = logging.getLogger("app.migrate")
BACKEND_DIR = Path(__file__).resolve().parent.parent
# Any constant bigint: the key of the advisory lock that serializes migrations.
LOCK_KEY = 7_201_640_110_482_313


def alembic_config() -> Config:
    cfg = Config(str(BACKEND_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(BACKEND_DIR / "alembic"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config()
    with engine.connect() as conn:
        postgres = engine.dialect.name == "postgresql"
        if postgres:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEY})
            conn.commit()
        try:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            conn.commit()
        finally:
            if postgres:
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                conn.commit()


def downgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
        conn.commit()


def migrate(settings: Settings) -> None:
    engine = make_engine(settings, bounded=False)
    try:
        wait_for_database(engine, settings.database_wait_seconds)
        upgrade(engine)
        log.info("database schema is at head (%s)", describe_database(engine.url))
    finally:
        engine.dispose()


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as err:
        print(err, file=sys.stderr)
        return 2
    # Alembic logs each migration it applies ("Running upgrade  -> 0001"): worth seeing.
    configure_logging(settings.log_level, "alembic", log_format=settings.log_format)
    try:
        migrate(settings)
    except RuntimeError as err:  # the database stayed unreachable
        log.error("%s", err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

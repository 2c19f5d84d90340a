"""Running the Alembic migrations from inside the app and the commands."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection


def alembic_config() -> Config:
    """An Alembic configuration pointing at the migrations in this package."""
    config = Config()
    config.set_main_option("script_location", str(files("store") / "migrations"))
    return config


def upgrade_connection(connection: Connection) -> None:
    """Upgrade the schema over an open (synchronous) connection to the head.

    Does nothing when the database is already at the newest revision, so an
    app start costs one small query.
    """
    config = alembic_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    current = MigrationContext.configure(connection).get_current_revision()
    if current == head:
        return
    config.attributes["connection"] = connection
    command.upgrade(config, "head")

"""Alembic environment: migrations run programmatically with a connection passed in
(``lti_tool.db.upgrade``), or from the command line with VAMOS_DATABASE_URL."""
from alembic import context

from lti_tool.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from lti_tool.config import ToolConfig
        from lti_tool.db import make_engine

        engine = make_engine(ToolConfig.from_env().database_url)
        with engine.begin() as connection:
            _run(connection)
        return
    _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run()

"""ASGI entry point: `uvicorn app.main:app`. Settings come from the environment and a bad
value stops the process here, before it listens, with a message naming the variable."""

from app.factory import create_app

app = create_app()

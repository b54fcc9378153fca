"""The registrar console: a server-rendered web UI at ``/console`` over the service's own functions.

Registrars (教务处) and college staff use it instead of the API: it calls the same service
functions with the same permissions (:data:`issuer.accounts.ROLE_SCOPES`; a college reviewer
sees only their college), signs people in with their account password into a server-side
session, and protects every change with a CSRF token. Pages are Jinja templates in
``templates/console/``; styles and the one small script are served from
``issuer/console/static/`` (no third-party assets).

:func:`install` adds the console to an app (``issuer.app.create_app`` calls it).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from . import audit, auth, cohorts, credentials, downloads, keys, overview, programmes
from .rendering import STATIC, STATIC_PATH

router = APIRouter()
for _area in (auth, programmes, cohorts, downloads, credentials, keys, audit, overview):
    router.include_router(_area.router)


class _StaticFiles(StaticFiles):
    """The console's CSS and script, with ``nosniff`` and a long cache life (URLs carry a hash)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-content-type-options", b"nosniff"),
                    (b"cache-control", b"public, max-age=31536000, immutable"),
                ]
            await send(message)

        await super().__call__(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    """Mount the console's static files and include its routes."""
    app.mount(STATIC_PATH, _StaticFiles(directory=STATIC), name="console-static")
    app.include_router(router)


__all__ = ["install", "router"]

"""``create_app(settings)``: the issuer's FastAPI application, built from one settings object."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from verifier import __version__
from verifier.web import verifier_router

from . import console, learner_page
from .api import errors
from .api.routes import admin, credentials, links, programmes, public
from .download_links import redact_access_log
from .identity import ensure_signing_key
from .public_verifier import verifier_config
from .service import Service
from .settings import Settings


def create_app(settings: Settings | None = None, *, service: Service | None = None) -> FastAPI:
    """Build the app. Pass ``settings`` (the CLI and production) or an open ``service`` (tests)."""
    if service is None:
        service = Service.open(settings or Settings())  # type: ignore[call-arg]  # from the environment
        ensure_signing_key(service)
    app = FastAPI(
        title="microcred issuer",
        version=__version__,
        description="Issue, revoke and publish micro-major certificates (W3C VC 2.0 / Open Badges 3.0).",
    )
    app.state.service = service
    errors.install(app, service.settings.lang)
    for router in (public.router, programmes.router, credentials.router, links.router, admin.router):
        app.include_router(router)
    console.install(app)  # the registrar console at /console (pages, static files)
    app.include_router(learner_page.router)  # learners' download pages at /c/{token}
    redact_access_log()  # their tokens never reach the access log
    # The public verifier anyone could run, at /verify and /api/verify (no authentication: it
    # changes nothing and stores nothing); it reads this service's own documents in-process.
    app.include_router(verifier_router(verifier_config(service)))

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/verify", status_code=303)

    return app

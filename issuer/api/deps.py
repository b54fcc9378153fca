"""Request dependencies: the service, the caller, the language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..accounts import Principal, authenticate_token
from ..errors import ServiceError
from ..i18n import t
from ..service import Service
from .errors import request_language


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


#: Declares the bearer scheme in the OpenAPI document; we answer a missing token ourselves
#: (401 problem+json in the caller's language) instead of FastAPI's plain 403.
_bearer = HTTPBearer(auto_error=False, scheme_name="APIToken", description="API token: mc_<prefix>_<secret>")


def get_principal(
    service: ServiceDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None or not credentials.credentials.strip():
        raise ServiceError(
            401, "unauthorized", t("Not signed in"), t("Send an API token: Authorization: Bearer mc_…")
        )
    return authenticate_token(service, credentials.credentials.strip())


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def scope(name: str) -> Callable[[Principal], Principal]:
    """A dependency that requires the caller to hold ``name``."""

    def check(principal: PrincipalDep) -> Principal:
        principal.require(name)
        return principal

    return check


def get_language(request: Request, service: ServiceDep) -> str:
    return request_language(request, service.settings.lang)


LanguageDep = Annotated[str, Depends(get_language)]

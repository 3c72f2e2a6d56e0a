"""Who may act on which store, as the handlers see it.

The authorizer (functions/authorizer) maps an API key to the stores it covers and hands them to the handlers
in the request's authorizer context, as API Gateway does. The handlers only ever trust that context.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stockroom.http.exceptions import NotAuthenticated, StoreForbidden

STORES_CONTEXT_KEY = "stores"


def stores_from_event(event: Mapping[str, Any]) -> list[str]:
    """The caller's stores, as the authorizer put them in the API Gateway event."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    raw = authorizer.get(STORES_CONTEXT_KEY)
    stores = [s for s in str(raw).split(",") if s] if raw else []
    if not stores:
        raise NotAuthenticated("Missing or unknown API key.")
    return stores


def choose_store(allowed: Sequence[str], requested: str | None) -> str:
    """The store a call acts on: the one it names, if the key covers it, else the key's default."""
    if requested is None or requested == "":
        return allowed[0]
    if requested not in allowed:
        raise StoreForbidden("The API key does not cover this store.", {"storeId": requested})
    return requested

"""Who may act on which store, as the handlers see it.

The authorizer (functions/authorizer) maps an API key to the stores it covers and hands them to the handlers
in the request's authorizer context, as API Gateway does. The handlers only ever trust that context.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from stockroom.core.api_keys import valid_store_id
from stockroom.http.exceptions import NotAuthenticated, StoreForbidden

STORES_CONTEXT_KEY = "stores"
ECHO_LIMIT = 128  # the longest id (ID_PATTERN)


def stores_context(stores: Sequence[str]) -> dict[str, str]:
    """The authorizer context: API Gateway carries only flat strings, so the list travels as JSON (a
    comma-joined list once let a store id with a comma name two stores)."""
    return {STORES_CONTEXT_KEY: json.dumps(list(stores), separators=(",", ":"))}


def stores_from_event(event: Mapping[str, Any]) -> list[str]:
    """The caller's stores, as the authorizer put them in the API Gateway event."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    raw = authorizer.get(STORES_CONTEXT_KEY)
    try:
        parsed = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        parsed = None
    stores = parsed if isinstance(parsed, list) and all(valid_store_id(s) for s in parsed) else []
    if not stores:
        raise NotAuthenticated("Missing or unknown API key.")
    return stores


def choose_store(allowed: Sequence[str], requested: str | None) -> str:
    """The store a call acts on: the one it names, if the key covers it, else the key's default."""
    if requested is None or requested == "":
        return allowed[0]
    if requested not in allowed:
        # Echo no more than an id can hold: the header can carry kilobytes.
        shown = requested if len(requested) <= ECHO_LIMIT else requested[:ECHO_LIMIT] + "..."
        raise StoreForbidden("The API key does not cover this store.", {"storeId": shown})
    return requested

"""Who may act on which store.

The authorizer (functions/authorizer) maps an API key to the stores it covers and hands them to the handlers
in the request's authorizer context, as API Gateway does. The handlers only ever trust that context.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from stockroom.errors import NotAuthenticated, StoreForbidden

# What the local runtime uses when STOCKROOM_API_KEYS is not set. A Lambda never falls back to it:
# there, no keys configured means no caller is let in.
DEFAULT_DEV_KEYS = {"local-dev-key": ["639749a5cb1db88617891bf0"]}
STORES_CONTEXT_KEY = "stores"


def configured_keys() -> dict[str, list[str]]:
    """Keys from STOCKROOM_API_KEYS (JSON {"key": ["store", ...]}); none if unset or malformed."""
    raw = os.environ.get("STOCKROOM_API_KEYS", "").strip()
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    return {str(k): [str(s) for s in v] for k, v in parsed.items() if isinstance(v, list)}


def stores_for_key(api_key: str | None) -> list[str] | None:
    """The stores a key covers, the first being its default; None for a missing or unknown key."""
    if not api_key:
        return None
    key = api_key.removeprefix("Bearer ").strip()
    stores = configured_keys().get(key)
    return list(stores) if stores else None


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

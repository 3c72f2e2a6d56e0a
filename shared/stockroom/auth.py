"""Who may act on which store.

The authorizer (functions/authorizer) maps an API key to the stores it covers and hands them to the handlers
in the request's authorizer context, as API Gateway does. The handlers only ever trust that context.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from stockroom.dynamodb import DynamoDBApiKeyStore
from stockroom.errors import NotAuthenticated, StoreForbidden
from stockroom.fields import ID_PATTERN

# What the local runtime uses when STOCKROOM_API_KEYS is not set. A Lambda never falls back to it:
# there, no keys configured means no caller is let in.
DEFAULT_DEV_KEYS = {"local-dev-key": ["639749a5cb1db88617891bf0"]}
STORES_CONTEXT_KEY = "stores"
ECHO_LIMIT = 128  # the longest id (ID_PATTERN)


def valid_store_id(store_id: object) -> bool:
    """A store id in the id alphabet: no comma, "#" or control character can widen what a key covers."""
    return isinstance(store_id, str) and re.fullmatch(ID_PATTERN, store_id) is not None


def configured_keys() -> dict[str, list[str]]:
    """Keys from STOCKROOM_API_KEYS (JSON {"key": ["store", ...]}); none if unset or malformed. A key with
    any store id outside the id pattern is left out whole: it covers nothing rather than something else."""
    raw = os.environ.get("STOCKROOM_API_KEYS", "").strip()
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    return {
        str(k): list(v)
        for k, v in parsed.items()
        if isinstance(v, list) and v and all(valid_store_id(s) for s in v)
    }


KEY_PREFIX = "sr_"
PRINTABLE_PREFIX_LENGTH = 11  # "sr_" and 8 characters: enough to name a key, far too little to guess it


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def mint_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def printable_prefix(api_key: str) -> str:
    return api_key[:PRINTABLE_PREFIX_LENGTH]


def stores_for_key(api_key: str | None, key_store: DynamoDBApiKeyStore | None = None) -> list[str] | None:
    """The stores a key covers, the first being its default; None for a missing, unknown or revoked key.
    Development keys (STOCKROOM_API_KEYS) first, then the hashed keys in DynamoDB."""
    if not api_key:
        return None
    scheme, _, rest = api_key.strip().partition(" ")
    # HTTP auth schemes are case-insensitive (RFC 9110): "bearer KEY" is "Bearer KEY".
    key = rest.strip() if scheme.lower() == "bearer" else api_key.strip()
    if not key or len(key) > 256:
        return None
    stores = configured_keys().get(key)
    if stores:
        return list(stores)
    if not key.startswith(KEY_PREFIX):
        return None  # not one we minted: no need to ask DynamoDB
    stored = (key_store or DynamoDBApiKeyStore()).stores_of(hash_key(key)) or None
    # Keys minted before store ids were checked may hold any string: such a key covers nothing.
    return stored if stored and all(valid_store_id(s) for s in stored) else None


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

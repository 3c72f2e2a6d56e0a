"""API keys: which stores a key covers. Development keys come from STOCKROOM_API_KEYS; minted keys are
kept hashed in an `ApiKeyStore` (the port), so this module needs no storage of its own."""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import Callable

from stockroom.core.domain import ID_PATTERN
from stockroom.core.ports import ApiKeyStore

# What the local runtime uses when STOCKROOM_API_KEYS is not set. A Lambda never falls back to it:
# there, no keys configured means no caller is let in.
DEFAULT_DEV_KEYS = {"local-dev-key": ["639749a5cb1db88617891bf0"]}
KEY_PREFIX = "sr_"
PRINTABLE_PREFIX_LENGTH = 11  # "sr_" and 8 characters: enough to name a key, far too little to guess it


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


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def mint_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def printable_prefix(api_key: str) -> str:
    return api_key[:PRINTABLE_PREFIX_LENGTH]


def stores_for_key(
    api_key: str | None, key_store: ApiKeyStore | Callable[[], ApiKeyStore]
) -> list[str] | None:
    """The stores a key covers, the first being its default; None for a missing, unknown or revoked key.
    Development keys (STOCKROOM_API_KEYS) first, then the hashed keys of `key_store` (or of the store a
    factory builds, only when it is needed)."""
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
        return None  # not one we minted: no need to ask the store
    store = key_store() if callable(key_store) else key_store
    stored = store.stores_of(hash_key(key)) or None
    # Keys minted before store ids were checked may hold any string: such a key covers nothing.
    return stored if stored and all(valid_store_id(s) for s in stored) else None

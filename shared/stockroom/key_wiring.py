"""The authorizer's composition root: the API-key store alone. Apart from stockroom.wiring so that the
authorizer, which runs before every call, loads no inventory adapter or service at its cold start."""

from __future__ import annotations

import functools

from stockroom.adapters.dynamodb.api_keys import DynamoDBApiKeyStore
from stockroom.core.ports import ApiKeyStore


@functools.cache
def api_key_store() -> ApiKeyStore:
    return DynamoDBApiKeyStore()

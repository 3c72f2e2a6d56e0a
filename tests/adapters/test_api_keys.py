"""Minted API keys: stored hashed, honoured by the authorizer over HTTP, revocable by prefix."""

from __future__ import annotations

import boto3
import pytest

from stockroom.adapters.dynamodb.api_keys import DynamoDBApiKeyStore
from stockroom.adapters.dynamodb.layout import table_name
from stockroom.core.api_keys import hash_key, mint_key, printable_prefix, stores_for_key
from stockroom_local.cli import main as stockroom
from tests.support import SOCKS_A_ITEM, Api

pytestmark = pytest.mark.usefixtures("seeded")


def test_a_minted_key_is_stored_only_as_its_hash() -> None:
    key = mint_key()
    DynamoDBApiKeyStore().add(
        hash_key(key), printable_prefix(key), ["store-a", "store-b"], "2026-01-01T00:00:00Z"
    )
    assert stores_for_key(key, DynamoDBApiKeyStore()) == ["store-a", "store-b"]
    assert stores_for_key(f"Bearer {key}", DynamoDBApiKeyStore()) == ["store-a", "store-b"]
    everything = boto3.client("dynamodb").scan(TableName=table_name())["Items"]  # a test may look everywhere
    assert key not in str(everything)
    assert hash_key(key) in str(everything)


def test_unknown_revoked_and_malformed_keys_cover_nothing() -> None:
    key = mint_key()
    store = DynamoDBApiKeyStore()
    store.add(hash_key(key), printable_prefix(key), ["store-a"], "2026-01-01T00:00:00Z")
    assert stores_for_key(mint_key(), DynamoDBApiKeyStore()) is None
    assert store.revoke(printable_prefix(key)) is True
    assert stores_for_key(key, DynamoDBApiKeyStore()) is None
    assert store.revoke("sr_nothing") is False
    for malformed in ("", "Bearer ", "sr_" + "x" * 300, "\x00"):
        assert stores_for_key(malformed, DynamoDBApiKeyStore()) is None


def test_the_cli_mints_a_key_that_opens_its_store_only(
    server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert stockroom(["keys", "create", "--store", "639749a5cb1db88617891bf0"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith("sr_")
    api = Api(server, key=key)
    assert api.item(SOCKS_A_ITEM)["quantity"] == 9
    assert (
        api.get(f"/stores/v3/inventory-items/{SOCKS_A_ITEM}", headers={"wix-site-id": "second-store"}).status
        == 403
    )

    assert stockroom(["keys", "revoke", printable_prefix(key)]) == 0
    # The local gateway authorizes every request afresh (API Gateway would cache the answer for 300 s).
    assert api.get(f"/stores/v3/inventory-items/{SOCKS_A_ITEM}").status == 401

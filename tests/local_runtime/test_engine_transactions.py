"""The embedded engine's transactions: all or nothing, and a cost that does not grow with the table."""

from __future__ import annotations

import copy
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from stockroom_local import engine as engine_module
from stockroom_local.engine import Engine, recreate_tables
from stockroom_local.template import Template

TABLE = "InventoryTable"


def key(name: str) -> dict[str, Any]:
    return {"pk": {"S": name}, "sk": {"S": "ITEM"}}


def quantity(client: Any, name: str) -> int | None:
    item = client.get_item(TableName=TABLE, Key=key(name), ConsistentRead=True).get("Item")
    return None if item is None else int(item["quantity"]["N"])


def take(name: str, n: int) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": TABLE,
            "Key": key(name),
            "ConditionExpression": "quantity >= :n",
            "UpdateExpression": "SET quantity = quantity - :n",
            "ExpressionAttributeValues": {":n": {"N": str(n)}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def put(name: str, n: int) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": TABLE,
            "Item": {**key(name), "quantity": {"N": str(n)}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def stream_records(engine: Engine) -> int:
    streams = boto3.client("dynamodbstreams", endpoint_url=engine.endpoint_url)
    arn = boto3.client("dynamodb").describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return len(streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"])


@pytest.fixture
def client(clean_tables: Engine) -> Any:
    client = boto3.client("dynamodb")
    for name, n in (("a", 5), ("b", 1)):
        client.put_item(TableName=TABLE, Item={**key(name), "quantity": {"N": str(n)}})
    return client


def test_a_cancelled_transaction_leaves_every_item_as_it_was(client: Any, clean_tables: Engine) -> None:
    records = stream_records(clean_tables)
    with pytest.raises(ClientError) as cancelled:
        # The first two ops succeed on their own; the third fails and must take them back.
        client.transact_write_items(TransactItems=[take("a", 2), put("c", 7), take("b", 3)])

    reasons = cancelled.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "None", "ConditionalCheckFailed"]
    assert reasons[2]["Item"] == {**key("b"), "quantity": {"N": "1"}}  # ALL_OLD: the item it judged
    assert (quantity(client, "a"), quantity(client, "b"), quantity(client, "c")) == (5, 1, None)
    assert stream_records(clean_tables) == records  # a cancelled transaction changed nothing, not even that


def test_a_successful_transaction_applies_every_op(client: Any) -> None:
    client.transact_write_items(TransactItems=[take("a", 2), put("c", 7), take("b", 1)])

    assert (quantity(client, "a"), quantity(client, "b"), quantity(client, "c")) == (3, 0, 7)


def test_a_transaction_copies_what_it_names_not_the_table(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted, not timed: every object deep-copied during one transaction (deepcopy recurses through
    copy.deepcopy), on a table of 2 items and then of 302. A whole-table snapshot would copy thousands."""
    calls = 0
    real_deepcopy = copy.deepcopy

    def counting_deepcopy(value: Any, memo: Any = None) -> Any:
        nonlocal calls
        calls += 1
        return real_deepcopy(value, memo)

    def copies_for_one_transaction(n: int) -> int:
        nonlocal calls
        calls = 0
        monkeypatch.setattr(copy, "deepcopy", counting_deepcopy)
        with pytest.raises(ClientError):  # cancelled: the snapshot is taken and restored
            client.transact_write_items(TransactItems=[take("a", n), put(f"new-{n}", 1), take("b", 9)])
        monkeypatch.setattr(copy, "deepcopy", real_deepcopy)
        return calls

    small_table = copies_for_one_transaction(1)
    for i in range(0, 300, 25):
        client.batch_write_item(
            RequestItems={
                TABLE: [
                    {"PutRequest": {"Item": {**key(f"filler-{j}"), "quantity": {"N": "1"}}}}
                    for j in range(i, i + 25)
                ]
            }
        )
    large_table = copies_for_one_transaction(2)

    assert large_table == small_table
    assert small_table < 100


# --- ClientRequestToken, as DynamoDB honours it -----------------------------------------------------------


def test_a_repeated_token_succeeds_again_and_changes_nothing(client: Any) -> None:
    client.transact_write_items(TransactItems=[take("a", 2)], ClientRequestToken="token-1")
    client.transact_write_items(TransactItems=[take("a", 2)], ClientRequestToken="token-1")

    assert quantity(client, "a") == 3  # taken once
    client.transact_write_items(TransactItems=[take("a", 2)], ClientRequestToken="token-2")
    assert quantity(client, "a") == 1  # another token is another transaction


def test_a_repeated_token_with_other_parameters_is_a_mismatch(client: Any) -> None:
    client.transact_write_items(TransactItems=[take("a", 2)], ClientRequestToken="token-1")

    with pytest.raises(ClientError) as refused:
        client.transact_write_items(TransactItems=[take("a", 1)], ClientRequestToken="token-1")

    assert refused.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert quantity(client, "a") == 3


def test_a_cancelled_transactions_token_is_not_remembered(client: Any) -> None:
    with pytest.raises(ClientError):
        client.transact_write_items(TransactItems=[take("b", 2)], ClientRequestToken="token-1")
    client.put_item(TableName=TABLE, Item={**key("b"), "quantity": {"N": "5"}})

    # Judged again, on the stock now: applied.
    client.transact_write_items(TransactItems=[take("b", 2)], ClientRequestToken="token-1")
    assert quantity(client, "b") == 3


def test_a_token_is_forgotten_after_ten_minutes(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(engine_module, "_token_clock", lambda: now[0])
    client.transact_write_items(TransactItems=[take("a", 2)], ClientRequestToken="token-1")
    now[0] += 599
    client.transact_write_items(TransactItems=[take("a", 2)], ClientRequestToken="token-1")
    assert quantity(client, "a") == 3

    now[0] += 2  # past DynamoDB's 10 minutes: a new transaction
    client.transact_write_items(TransactItems=[take("a", 2)], ClientRequestToken="token-1")
    assert quantity(client, "a") == 1


def test_a_table_created_again_forgets_its_tokens(client: Any, template: Template) -> None:
    client.transact_write_items(TransactItems=[take("a", 2)], ClientRequestToken="token-1")
    recreate_tables(template)
    client.put_item(TableName=TABLE, Item={**key("a"), "quantity": {"N": "5"}})

    client.transact_write_items(TransactItems=[take("a", 2)], ClientRequestToken="token-1")
    assert quantity(client, "a") == 3

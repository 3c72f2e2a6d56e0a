"""Shared fixtures: one embedded DynamoDB engine (moto over real HTTP) for the whole session.

The local runtime (and so boto3 and moto) is imported inside the fixtures, never at the top: the unit tier
(tests/unit) shares this file and must run without them.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

# Before any handler is imported: no X-Ray daemon here, and no EMF metrics on stdout.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
DEMO_STORE_ID = "639749a5cb1db88617891bf0"
# The development keys the tests' authorizer knows: the README's key, and one covering two stores.
TEST_API_KEYS = {
    "local-dev-key": [DEMO_STORE_ID],
    "two-stores": [DEMO_STORE_ID, "second-store"],
    "second-store-key": ["second-store"],
}
os.environ["STOCKROOM_API_KEYS"] = json.dumps(TEST_API_KEYS)

if TYPE_CHECKING:
    from stockroom_local.engine import Engine
    from stockroom_local.gateway import GatewayServer
    from stockroom_local.invoke import ExecutionEnvironments
    from stockroom_local.template import Template

InvokeFunction = Callable[[str, Any], Any]


@pytest.fixture(scope="session")
def template() -> Template:
    from stockroom_local.template import load_template

    return load_template()


@pytest.fixture(scope="session")
def local_engine(template: Template) -> Iterator[Engine]:
    """The embedded engine (never an external endpoint, whatever the environment says), tables and event bus
    created, and the functions' template environment (TABLE_NAME, POWERTOOLS_*...) in os.environ."""
    from stockroom_local.engine import Engine, ensure_event_bus, ensure_tables

    for function in template.functions.values():
        for key, value in function.environment.items():
            os.environ.setdefault(key, value)
    with Engine() as engine:
        ensure_tables(template)
        ensure_event_bus(template)
        yield engine


@pytest.fixture
def clean_tables(local_engine: Engine, template: Template) -> Engine:
    """Empty tables for this test (dropped and created again: a few ms on moto)."""
    from stockroom_local.engine import recreate_tables
    from stockroom_local.streams import paused

    with paused():  # no record of the old tables is delivered into the new ones
        recreate_tables(template)
    return local_engine


@pytest.fixture
def seeded(clean_tables: Engine) -> Engine:
    """Empty tables plus the demo data of the README and SPEC examples."""
    from stockroom_local.seed import seed_demo_data

    seed_demo_data()
    return clean_tables


@pytest.fixture(scope="session")
def gateway(local_engine: Engine, template: Template, stream_pump: object) -> Iterator[GatewayServer]:
    """`stockroom serve` on a free port in a background thread, handlers in worker processes, and the
    table's stream delivered to the ledger (`stream_pump`)."""
    from stockroom_local.gateway import make_server

    httpd = make_server(template, port=0, verbose=False)
    thread = httpd.start_background()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture(scope="session")
def stream_pump(local_engine: Engine, template: Template) -> Iterator[object]:
    """The table's stream delivered to LedgerFunction, as Lambda's event source mapping would, for every
    test that reads the ledger. AvailabilityFunction is left to the availability tests, which read the
    stream themselves: two consumers would publish every event twice."""
    from stockroom_local.invoke import ExecutionEnvironments
    from stockroom_local.streams import StreamPump, subscriptions

    # Its own execution environment (a worker process), as a Lambda's: never the test's interpreter.
    environment = ExecutionEnvironments(template, 1)
    pump = StreamPump(subscriptions(template, {"LedgerFunction"}), environment).start()
    yield pump
    pump.stop()
    environment.close()


@pytest.fixture(scope="session")
def server(gateway: GatewayServer) -> str:
    """The base URL of `stockroom serve`."""
    return gateway.url


@pytest.fixture(scope="session")
def environments(gateway: GatewayServer) -> ExecutionEnvironments:
    """The gateway's execution environments: invoke(logical_id, event) in parallel worker processes."""
    assert gateway.environments is not None
    return gateway.environments


@pytest.fixture
def invoke_function(local_engine: Engine, template: Template) -> InvokeFunction:
    """invoke_function(logical_id, event): run a function's handler as `stockroom invoke` does."""
    from stockroom_local.invoke import invoke

    def _invoke(logical_id: str, event: Any) -> Any:
        return invoke(logical_id, event, template)

    return _invoke


PublishedEvents = Callable[[], list[tuple[str, dict[str, Any]]]]


@pytest.fixture
def published_events(local_engine: Engine, template: Template) -> Iterator[PublishedEvents]:
    """What Stockroom publishes on its bus from now on, as a subscriber sees it: an EventBridge rule on the
    bus targets a queue of this test; the fixture's value drains it into [(detail-type, detail)]."""
    import boto3

    events = boto3.client("events")
    sqs = boto3.client("sqs")
    bus = template.parameters["EventBusName"]
    name = f"published-{uuid.uuid4().hex[:12]}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps({"source": ["stockroom.inventory"]}))
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "queue", "Arn": queue_arn}])

    def drain() -> list[tuple[str, dict[str, Any]]]:
        received = []
        while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
            for message in messages:
                event = json.loads(message["Body"])
                received.append((event["detail-type"], event["detail"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return received

    yield drain
    events.remove_targets(Rule=name, EventBusName=bus, Ids=["queue"])
    events.delete_rule(Name=name, EventBusName=bus)
    sqs.delete_queue(QueueUrl=queue_url)

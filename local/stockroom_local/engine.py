"""The embedded DynamoDB engine: moto's server, in process, one request at a time.

moto is not atomic under concurrent requests: two conditional updates of one item can interleave
between moto's condition check and its write, and both succeed (an oversell). Real DynamoDB
serializes writes to an item, so we serialize every request behind one global lock.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import itertools
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

import boto3
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from stockroom_local.durable import Journal
from stockroom_local.template import Template, load_template

ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL")


class SerializedApp:
    """WSGI middleware: runs each request, body included, under one lock; with a journal, logs each answered
    change durably before its answer leaves (the answer is only sent once this returns)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], journal: Journal | None = None):
        self.app = app
        self.lock = threading.Lock()
        self.journal = journal

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.lock:
            if self.journal is not None:
                return self.journal.serve(self.app, environ, start_response)
            # Drain the response inside the lock: a lazy body would run moto code after release.
            return list(self.app(environ, start_response))


def snapshot_items_not_tables() -> None:
    """Make moto's TransactWriteItems snapshot the items it names instead of their whole tables.

    moto deep-copies every table a transaction touches before it starts, to roll back on cancellation:
    the cost of one transaction grows with the table (7 ms on an empty table, 72 ms at 2,000 items).
    This wraps the backend method: it deep-copies only the named items (and notes each table's stream
    length), hands moto a `copy` module that "copies" a Table as itself, and on any failure puts the named
    items (and streams) back as they were. The rest (conditions, cancellation reasons, ALL_OLD items) is
    moto's own code. Safe because the embedded engine serializes every request (SerializedApp); it is
    applied process-wide when an embedded engine starts, and only once.
    """
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items
    if getattr(original, "snapshots_items", False):
        return

    class CopyExceptTables:
        """Stands in for `copy` inside moto.dynamodb.models during a transaction."""

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[Table, Any, Any, Any]] = []  # (table, hash, range, deep copy of item or None)
        streams: dict[int, tuple[Any, int]] = {}  # id(stream shard) -> (shard, its length before)
        for transact_item in transact_items[:100]:  # more is refused before anything is applied
            for op in transact_item.values():
                table = self.tables.get(op.get("TableName"))
                if table is None:
                    continue  # moto reports the missing table as this op's cancellation reason
                key = op.get("Key") or {
                    k: v
                    for k, v in (op.get("Item") or {}).items()
                    if k in (table.hash_key_attr, table.range_key_attr)
                }
                try:
                    hash_key, range_key = self.get_keys_value(table, key)
                except Exception:
                    continue  # a malformed key: moto refuses that op without writing it
                saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
                if (shard := table.stream_shard) is not None:
                    streams.setdefault(id(shard), (shard, len(shard.items)))
        models.copy = CopyExceptTables()  # type: ignore[assignment]
        try:
            original(self, transact_items)
        except BaseException:
            # Cancelled: undo the ops that ran, newest first, and the stream records they wrote.
            for table, hash_key, range_key, item in reversed(saved):
                _restore_item(table, hash_key, range_key, item)
            for shard, length in streams.values():
                del shard.items[length:]
            raise
        finally:
            models.copy = copy

    transact_write_items.snapshots_items = True  # type: ignore[attr-defined]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


# How long DynamoDB remembers a successful transaction's ClientRequestToken.
TOKEN_WINDOW_SECONDS = 600.0
_token_clock: Callable[[], float] = time.monotonic  # tests move time on by replacing it


def _set_token_clock(clock: Callable[[], float]) -> None:
    global _token_clock
    _token_clock = clock


def honour_client_request_tokens() -> None:
    """Make moto's TransactWriteItems honour `ClientRequestToken`, as DynamoDB does (moto ignores it).

    For TOKEN_WINDOW_SECONDS after a transaction succeeds, a repeat of its token with the same parameters
    succeeds again and changes nothing; with other parameters it is refused with
    IdempotentParameterMismatchException (400). A cancelled or refused transaction's token is not
    remembered, so its repeat is judged again. Wraps the response handler (where the request's parameters
    are); safe because the embedded engine serializes every request (SerializedApp). Tokens are remembered
    per table (on moto's Table objects), so a table dropped and created again, as tests do, forgets them.
    Applied process-wide when an embedded engine starts, and only once.
    """
    from moto.core.responses import ActionResult
    from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.transact_write_items
    if getattr(original, "honours_tokens", False):
        return

    class IdempotentParameterMismatch(DynamodbException):
        def __init__(self) -> None:
            super().__init__(
                ERROR_TYPE_PREFIX + "IdempotentParameterMismatchException",
                "The request uses the same client token as a previous, but non-identical request.",
            )

    @functools.wraps(original)
    def transact_write_items(self: Any) -> Any:
        token = self.body.get("ClientRequestToken")
        if not token:
            return original(self)
        parameters = {k: v for k, v in self.body.items() if k != "ClientRequestToken"}
        fingerprint = hashlib.sha256(json.dumps(parameters, sort_keys=True).encode()).hexdigest()
        backend = self.dynamodb_backend
        names = {op.get("TableName") for item in self.body.get("TransactItems", []) for op in item.values()}
        tables = [backend.tables[name] for name in sorted(n for n in names if n in backend.tables)]
        now = _token_clock()
        for table in tables:
            remembered: dict[str, tuple[str, float]] = table.__dict__.setdefault("_client_tokens", {})
            seen = remembered.get(token)
            if seen is not None and seen[1] > now:
                if seen[0] != fingerprint:
                    raise IdempotentParameterMismatch()
                return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
        result = original(self)  # a cancellation raises: its token is not remembered
        for table in tables:
            remembered = table.__dict__.setdefault("_client_tokens", {})
            # Kept in the order they expire, so the expired ones come first.
            expired = itertools.takewhile(lambda entry: entry[1][1] <= now, remembered.items())
            for old in [t for t, _ in expired]:
                del remembered[old]
            remembered.pop(token, None)
            remembered[token] = (fingerprint, now + TOKEN_WINDOW_SECONDS)
        return result

    transact_write_items.honours_tokens = True  # type: ignore[attr-defined]
    DynamoHandler.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _restore_item(table: Any, hash_key: Any, range_key: Any, item: Any) -> None:
    """Put one item of a moto Table back as it was (None: absent), without a stream record."""
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
        return
    by_range = table.items[hash_key]
    if item is None:
        by_range.pop(range_key, None)
        if not by_range:
            del table.items[hash_key]
    else:
        by_range[range_key] = item


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line per DynamoDB call would drown the gateway's own log


class Engine:
    """The DynamoDB endpoint the local runtime uses: embedded moto, or an external endpoint_url.

    Use as a context manager, or start()/stop(). While embedded and running, os.environ points
    boto3 at it (AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL), so the handlers' plain
    boto3.client("dynamodb") reach it, and so do their EventBridge and SQS clients: moto's server
    answers every service on one endpoint.
    """

    def __init__(
        self,
        endpoint_url: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        data_dir: str | None = None,
        snapshot_every: int | None = None,
    ):
        if data_dir is not None and endpoint_url is not None:
            raise ValueError("--data-dir is for the embedded engine: an external endpoint keeps state")
        self.external_url = endpoint_url
        options = {"snapshot_every": snapshot_every} if snapshot_every else {}
        self.journal = Journal(data_dir, **options) if data_dir else None
        self.replayed = 0
        self.host, self.port = host, port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._saved_env: dict[str, str | None] = {}

    @classmethod
    def from_env(cls, data_dir: str | None = None, snapshot_every: int | None = None) -> Engine:
        """An engine on AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL if set, else an embedded one."""
        url = next((os.environ[v] for v in ENDPOINT_VARIABLES if os.environ.get(v)), None)
        return cls(endpoint_url=url, data_dir=data_dir, snapshot_every=snapshot_every)

    @property
    def embedded(self) -> bool:
        return self.external_url is None

    @property
    def endpoint_url(self) -> str:
        if self.external_url:
            return self.external_url
        if self._server is None:
            raise RuntimeError("engine not started")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> str:
        if self.embedded and self._server is None:
            # Imported here: moto is slow to import and unneeded against an external endpoint.
            from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

            snapshot_items_not_tables()
            honour_client_request_tokens()
            moto_app = DomainDispatcherApplication(create_backend_app)
            app = SerializedApp(moto_app, self.journal)
            if self.journal is not None:
                with app.lock:
                    self.replayed = self.journal.open(moto_app, _set_token_clock)
            self._server = make_server(
                self.host, self.port, app, threaded=True, request_handler=_QuietHandler
            )
            serve = self._server.serve_forever
            self._thread = threading.Thread(target=serve, name="stockroom-dynamodb", daemon=True)
            self._thread.start()
            self._set_env(
                AWS_ENDPOINT_URL_DYNAMODB=self.endpoint_url,
                AWS_ENDPOINT_URL=self.endpoint_url,
                # moto accepts any credentials; dummy ones also keep a stray call off a real account.
                **(
                    {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
                    if not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"))
                    else {}
                ),
                **(
                    {"AWS_DEFAULT_REGION": "us-east-1"}
                    if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
                    else {}
                ),
            )
        return self.endpoint_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join()
            self._server = self._thread = None
        if self.journal is not None:
            self.journal.close()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def client(self) -> Any:
        return boto3.client("dynamodb", endpoint_url=self.endpoint_url)

    def _set_env(self, **values: str) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value


def table_definitions(template: Template) -> dict[str, dict[str, Any]]:
    """CreateTable arguments for each table of the template (local table name = logical id)."""
    return {name: _create_table_args(name, props) for name, props in template.tables.items()}


def _create_table_args(name: str, props: Mapping[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    if args["BillingMode"] == "PROVISIONED":
        args["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    index_keys = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(kind):  # CloudFormation-only keys (ContributorInsights...) are not CreateTable's
            args[kind] = [{k: v for k, v in index.items() if k in index_keys} for index in props[kind]]
    if "StreamSpecification" in props:  # CloudFormation implies StreamEnabled; the API wants it said
        args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return args


def create_table(client: Any, args: Mapping[str, Any], ttl: Mapping[str, Any] | None = None) -> None:
    client.create_table(**args)
    client.get_waiter("table_exists").wait(
        TableName=args["TableName"], WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    if ttl and ttl.get("Enabled", True):
        client.update_time_to_live(
            TableName=args["TableName"],
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )


def ensure_tables(template: Template | None = None, client: Any = None) -> list[str]:
    """Create the template's tables that are missing on the current endpoint; returns those created."""
    template = template or load_template()
    client = client or boto3.client("dynamodb")
    existing = set(client.get_paginator("list_tables").paginate().build_full_result()["TableNames"])
    created = []
    for name, args in table_definitions(template).items():
        if name not in existing:
            create_table(client, args, template.tables[name].get("TimeToLiveSpecification"))
            created.append(name)
    return created


def recreate_tables(template: Template | None = None, client: Any = None) -> None:
    """Drop and create every table of the template: an empty engine, fast on moto (tests)."""
    template = template or load_template()
    client = client or boto3.client("dynamodb")
    existing = set(client.list_tables()["TableNames"])
    for name, args in table_definitions(template).items():
        if name in existing:
            client.delete_table(TableName=name)
            client.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
        create_table(client, args, template.tables[name].get("TimeToLiveSpecification"))


def events_are_local() -> bool:
    """Whether EventBridge calls go to a local endpoint (the embedded engine sets AWS_ENDPOINT_URL)."""
    return bool(os.environ.get("AWS_ENDPOINT_URL_EVENTS") or os.environ.get("AWS_ENDPOINT_URL"))


def ensure_event_bus(template: Template | None = None, client: Any = None) -> bool:
    """Create the template's event bus (parameter EventBusName) on a local endpoint if it is missing, as the
    deployed stack does; never on AWS itself. Returns whether it created it."""
    template = template or load_template()
    name = template.parameters.get("EventBusName", "default")
    if name == "default" or not events_are_local():
        return False
    client = client or boto3.client("events")
    try:
        client.describe_event_bus(Name=name)
        return False
    except client.exceptions.ResourceNotFoundException:
        client.create_event_bus(Name=name)
        return True

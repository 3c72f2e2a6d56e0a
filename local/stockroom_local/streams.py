"""DynamoDB Streams event sources, locally: the template's `Type: DynamoDB` events, delivered as Lambda's
event source mapping delivers them.

Each subscription reads its table's stream on its own (in order, from the stream's start), keeps the
records its FilterCriteria match, and invokes its function with batches of them; a batch item failure is
delivered again from that record on, as ReportBatchItemFailures has it. A table dropped and made again
(tests do) has a new stream, which is then read from its start.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3

from stockroom_local.template import Template

log = logging.getLogger(__name__)

Invoker = Callable[[str, Any], Any]


@dataclass
class Subscription:
    function_id: str
    table: str
    patterns: list[dict[str, Any]]
    batch_size: int = 100
    stream_arn: str | None = None
    iterator: str | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)  # read, not yet delivered


def subscriptions(template: Template, functions: set[str] | None = None) -> list[Subscription]:
    """The template's stream event sources (of `functions` only, when given)."""
    found = []
    for logical_id, resource in template.resources.items():
        if resource.get("Type") != "AWS::Serverless::Function" or (functions and logical_id not in functions):
            continue
        for event in resource.get("Properties", {}).get("Events", {}).values():
            if event.get("Type") != "DynamoDB":
                continue
            props = event["Properties"]
            table = props["Stream"]["Fn::GetAtt"][0]
            filters = props.get("FilterCriteria", {}).get("Filters", [])
            patterns = [json.loads(f["Pattern"]) for f in filters]
            found.append(Subscription(logical_id, table, patterns, int(props.get("BatchSize", 100))))
    return found


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """Lambda's filter rule, for the exact-value patterns a template uses: every key of the pattern is in
    the event, a list names the values allowed, a mapping goes one level down."""
    if not isinstance(event, Mapping):
        return False
    for key, wanted in pattern.items():
        if key not in event:
            return False
        value = event[key]
        if isinstance(wanted, Mapping):
            if not matches(wanted, value):
                return False
        elif value not in wanted:
            return False
    return True


def _as_lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    dynamodb = dict(record.get("dynamodb") or {})
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = created.timestamp()
    return {**record, "dynamodb": dynamodb, "eventSourceARN": stream_arn}


_running: set[StreamPump] = set()


@contextmanager
def paused() -> Iterator[None]:
    """Every running pump holds still (its delivery in flight finished) while the block runs: tests drop and
    make tables again, and a record of the old table must not be delivered into the new one."""
    pumps = list(_running)
    for pump in pumps:
        pump.lock.acquire()
    try:
        yield
    finally:
        for pump in pumps:
            pump.lock.release()


class StreamPump:
    """Polls every subscription every `interval` seconds in a background thread, until stopped."""

    def __init__(self, subscriptions: list[Subscription], invoke: Invoker, interval: float = 0.05) -> None:
        self.subscriptions = subscriptions
        self.invoke = invoke
        self.interval = interval
        self._stop = threading.Event()
        self.lock = threading.Lock()  # held for a whole poll: `paused()` waits for the delivery in flight
        self._thread: threading.Thread | None = None
        self._dynamodb: Any = None
        self._streams: Any = None

    def start(self) -> StreamPump:
        if self.subscriptions and self._thread is None:
            self._dynamodb, self._streams = boto3.client("dynamodb"), boto3.client("dynamodbstreams")
            self._thread = threading.Thread(target=self._run, name="stockroom-streams", daemon=True)
            self._thread.start()
            _running.add(self)
        return self

    def stop(self) -> None:
        _running.discard(self)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with self.lock:
                for subscription in self.subscriptions:
                    try:
                        self.poll(subscription)
                    except Exception:  # a table being made again, an engine stopping: try again next round
                        log.debug("stream poll of %s failed", subscription.function_id, exc_info=True)
                        subscription.iterator = None

    def poll(self, subscription: Subscription) -> int:
        """Read what is new and deliver it; returns how many records were delivered."""
        arn = self._dynamodb.describe_table(TableName=subscription.table)["Table"].get("LatestStreamArn")
        if arn is None:
            return 0
        if arn != subscription.stream_arn or subscription.iterator is None:
            if arn != subscription.stream_arn:
                subscription.pending.clear()
            subscription.stream_arn = arn
            shards = self._streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
            subscription.iterator = self._streams.get_shard_iterator(
                StreamArn=arn, ShardId=shards[0]["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
        answer = self._streams.get_records(ShardIterator=subscription.iterator)
        subscription.iterator = answer.get("NextShardIterator")
        subscription.pending += [
            _as_lambda_record(r, arn)
            for r in answer.get("Records", [])
            if not subscription.patterns or any(matches(p, r) for p in subscription.patterns)
        ]
        delivered = 0
        while subscription.pending:
            batch = subscription.pending[: subscription.batch_size]
            result = self.invoke(subscription.function_id, {"Records": batch}) or {}
            failures = [f["itemIdentifier"] for f in result.get("batchItemFailures", [])]
            if failures:
                # Lambda retries from the first failed record; the ones before it are done.
                first = next(i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failures)
                del subscription.pending[:first]
                return delivered + first
            del subscription.pending[: len(batch)]
            delivered += len(batch)
        return delivered

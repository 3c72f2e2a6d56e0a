"""Durable state for the embedded engine (`stockroom serve --data-dir DIR`).

Every DynamoDB request that may change state and that moto answered 2xx is appended to a write-ahead log
(flushed and fsynced) before its answer leaves the engine, inside the engine's one lock: the log's order is
the order the changes were applied. At start the newest snapshot is loaded and its log replayed through moto
itself. Every `snapshot_every` records the tables are pickled into a new snapshot and a new log begins, so
replay stays short.

Files in DIR, for a generation G: `snapshot-G.pickle` (the tables after every record of log G-1) and
`wal-G.log`. A generation is complete once its snapshot is renamed into place; older files are then removed.
A crash between the two steps leaves the old log beside a newer snapshot, and the old log is ignored.

Only DynamoDB is durable: the SQS queues and EventBridge buses that moto also answers are not (the bus is
created again at start). moto never expires items by TTL, so replay depends on no clock except the one the
ClientRequestToken emulation reads, which replay sets to each record's time.
"""

from __future__ import annotations

import fcntl
import functools
import io
import json
import logging
import os
import pickle
import re
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TARGET_PREFIX = "DynamoDB_20120810."
# Everything else DynamoDB answers is logged: an unknown action is assumed to change state.
READ_ONLY_ACTIONS = frozenset(
    {
        "BatchGetItem",
        "DescribeBackup",
        "DescribeContinuousBackups",
        "DescribeEndpoints",
        "DescribeLimits",
        "DescribeTable",
        "DescribeTimeToLive",
        "GetItem",
        "ListBackups",
        "ListTables",
        "ListTagsOfResource",
        "Query",
        "Scan",
        "TransactGetItems",
    }
)
# Replay runs ~6 ms a record through moto (measured): 1,000 records keep a restart after a crash near 6 s.
DEFAULT_SNAPSHOT_EVERY = 1000
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+/[^/,\s]+/[^/,\s]+/[^/,\s]+)/")


class DataDirInUse(RuntimeError):
    """Another stockroom process (a `stockroom serve`) holds the data directory."""


class JournalFailed(RuntimeError):
    """The log could not be written: memory holds a change the disk does not, so the engine stops."""


def mutating_action(environ: dict[str, Any]) -> str | None:
    """The DynamoDB action of a request that may change state, else None."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if not target.startswith(TARGET_PREFIX):
        return None
    action = target[len(TARGET_PREFIX) :]
    return None if action in READ_ONLY_ACTIONS else action


class Journal:
    """The write-ahead log and snapshots of one data directory; every method runs under the engine's lock."""

    def __init__(self, directory: str | Path, snapshot_every: int = DEFAULT_SNAPSHOT_EVERY):
        self.directory = Path(directory)
        self.snapshot_every = snapshot_every
        self.generation = 0
        self.records = 0  # in the current log
        self.failed = False
        self._file: io.BufferedWriter | None = None
        self._lock_file: io.TextIOWrapper | None = None

    # --- at start ---------------------------------------------------------------------------------------

    def open(
        self, app: Callable[..., Iterable[bytes]], set_token_clock: Callable[[Callable[[], float]], None]
    ) -> int:
        """Load the newest snapshot, replay its log through `app` (moto), and open the log for appending.
        `set_token_clock` sets the clock the engine judges ClientRequestToken windows by. Returns the number
        of records replayed."""
        self.directory.mkdir(parents=True, exist_ok=True)
        # One engine per directory: two appending to one log would interleave their histories.
        self._lock_file = (self.directory / "lock").open("a")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_file.close()
            raise DataDirInUse(f"{self.directory} is in use by another stockroom process") from None
        snapshots = sorted(self._generations("snapshot-*.pickle"))
        if snapshots:
            self.generation = snapshots[-1]
            _restore_tables(pickle.loads(self._path("snapshot", self.generation).read_bytes()))
        replayed = 0
        wal = self._path("wal", self.generation)
        good_bytes = 0
        if wal.exists():
            for record, end in _read_records(wal):
                # The token window as it was when the record was answered, so a repeat is judged the same.
                set_token_clock(functools.partial(float, record["time"]))
                _replay(app, record)
                replayed += 1
                good_bytes = end
            if good_bytes < wal.stat().st_size:
                # A record torn by a crash was never answered: drop it.
                log.warning("dropping a torn record at the end of %s", wal)
                with wal.open("r+b") as file:
                    file.truncate(good_bytes)
        # Wall time, not monotonic time: a token's 10-minute window spans a restart.
        set_token_clock(time.time)
        self.records = replayed
        self._file = wal.open("ab")
        self._fsync_directory()
        self._remove_older()
        return replayed

    # --- while serving ----------------------------------------------------------------------------------

    def serve(
        self, app: Callable[..., Iterable[bytes]], environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> list[bytes]:
        """One request through moto, under the engine's lock; an answered change is logged before the answer
        leaves (werkzeug sends nothing until the body list is returned)."""
        action = mutating_action(environ)
        if action is None:
            return list(app(environ, start_response))
        if self.failed:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"the engine's write-ahead log failed: restart it"]
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        statuses: list[str] = []

        def capture(status: str, headers: Any, exc_info: Any = None) -> Any:
            statuses.append(status)
            return start_response(status, headers, exc_info)

        answer = list(app(environ, capture))
        if statuses and statuses[-1].startswith("2"):
            self.append(action, environ, body)
        return answer

    def append(self, action: str, environ: dict[str, Any], body: bytes) -> None:
        """Log one answered change, durably; raises JournalFailed if the disk refused it."""
        assert self._file is not None, "journal not open"
        credential = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        record = {
            "time": time.time(),
            "action": action,
            # Account and region as moto read them (never the signature).
            "credential": credential.group(1) if credential else "testing/20240101/us-east-1/dynamodb",
            "body": body.decode("utf-8"),
        }
        text = json.dumps(record, separators=(",", ":")).encode()
        try:
            self._file.write(b"%08x %s\n" % (zlib.crc32(text), text))
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as error:
            self.failed = True
            raise JournalFailed(f"cannot write {self.directory}: {error}") from error
        self.records += 1
        if self.records >= self.snapshot_every:
            self.snapshot()

    def snapshot(self) -> None:
        """Write the tables as a new generation and start its empty log."""
        next_generation = self.generation + 1
        final = self._path("snapshot", next_generation)
        temporary = final.with_suffix(".tmp")
        with temporary.open("wb") as file:
            pickle.dump(_current_tables(), file, protocol=pickle.HIGHEST_PROTOCOL)
            file.flush()
            os.fsync(file.fileno())
        new_log = self._path("wal", next_generation).open("ab")
        os.replace(temporary, final)  # the new generation is complete from here on
        self._fsync_directory()
        if self._file is not None:
            self._file.close()
        self._file, self.generation, self.records = new_log, next_generation, 0
        self._remove_older()

    def close(self) -> None:
        """On a clean stop, after the server stopped: a last snapshot makes the next start replay nothing."""
        if self._file is not None:
            if self.records and not self.failed:
                self.snapshot()
            self._file.close()
            self._file = None
        if self._lock_file is not None:
            self._lock_file.close()  # releases the flock
            self._lock_file = None

    # --- files ------------------------------------------------------------------------------------------

    def _path(self, kind: str, generation: int) -> Path:
        suffix = "pickle" if kind == "snapshot" else "log"
        return self.directory / f"{kind}-{generation:08d}.{suffix}"

    def _generations(self, pattern: str) -> Iterator[int]:
        for path in self.directory.glob(pattern):
            number = path.name.split("-", 1)[1].split(".", 1)[0]
            if number.isdigit():
                yield int(number)

    def _remove_older(self) -> None:
        for pattern, kind in (("snapshot-*.pickle", "snapshot"), ("wal-*.log", "wal")):
            for generation in list(self._generations(pattern)):
                if generation < self.generation:
                    self._path(kind, generation).unlink(missing_ok=True)

    def _fsync_directory(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _read_records(path: Path) -> Iterator[tuple[dict[str, Any], int]]:
    """Each whole, intact record and the offset just past it; stops at the first torn or corrupt one."""
    offset = 0
    with path.open("rb") as file:
        for line in file:
            if not line.endswith(b"\n") or len(line) < 10:
                return
            checksum, _, text = line[:-1].partition(b" ")
            try:
                if int(checksum, 16) != zlib.crc32(text):
                    return
                record = json.loads(text)
            except ValueError:
                return
            offset += len(line)
            yield record, offset


def _replay(app: Callable[..., Iterable[bytes]], record: dict[str, Any]) -> None:
    from werkzeug.test import EnvironBuilder

    body = record["body"].encode("utf-8")
    builder = EnvironBuilder(
        method="POST",
        path="/",
        headers=[
            ("X-Amz-Target", TARGET_PREFIX + record["action"]),
            ("Content-Type", "application/x-amz-json-1.0"),
            (
                "Authorization",
                f"AWS4-HMAC-SHA256 Credential={record['credential']}/aws4_request, "
                "SignedHeaders=host, Signature=replay",
            ),
        ],
        data=body,
    )
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], None]:
        statuses.append(status)
        return lambda data: None

    try:
        list(app(builder.get_environ(), start_response))
    finally:
        builder.close()
    if not statuses or not statuses[0].startswith("2"):
        log.warning("replaying %s answered %s", record["action"], statuses[:1])


def _backends() -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends


def _current_tables() -> dict[tuple[str, str], Any]:
    return {
        (account, region): backend.tables
        for account, regional in _backends().items()
        for region, backend in regional.items()
    }


def _restore_tables(tables: dict[tuple[str, str], Any]) -> None:
    backends = _backends()
    for (account, region), by_name in tables.items():
        backends[account][region].tables = by_name

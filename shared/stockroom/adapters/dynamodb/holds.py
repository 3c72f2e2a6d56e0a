"""Reservations in DynamoDB (SPEC §7): the `ReservationRepository` port (reclaiming expired holds is
`expired_holds`).

A hold is decided on its item, by its tag (`stockroom.core.tags`); the reservation record is written after
the items, and tells the reservation's story:
- create: each tracked line's item on `available >= n AND NOT contains(holds, :tag)`, then reserved += n,
  available -= n and the tag in; an untracked line's item on still not tracking, then reserved += n and the
  tag in (no stock taken). The tag makes a repeat of the same hold refused, and recognised as ours.
- confirm / release: each line's item on `contains(holds, :tag)`: the tag out, and quantity -= n,
  reserved -= n (confirm) or reserved -= n, available += n (release); an untracked line, reserved -= n.
  Whoever takes the tag out first (confirm, release, or the reclaim of the expired hold) decides the hold;
  the others find it gone.
- extend: each line's tag swapped for one with the new expiry, on condition that the item's holds are
  still the ones read.
A reservation of one line is written with single-item writes: no transaction holds its item, so
the checkouts of one hot item never cancel each other. A reservation of several lines writes its items in
one transaction, all or nothing. Every item change stamps `change`, so the stream's ledger writes RESERVE,
CONFIRM, RELEASE and EXPIRE records like any other.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from stockroom.adapters.dynamodb import settle
from stockroom.adapters.dynamodb.client import REQUESTS_PER_WRITE, Cancelled, InDoubt, Refused, TableClient
from stockroom.adapters.dynamodb.codec import item_from_attributes, n
from stockroom.adapters.dynamodb.expired_holds import item_change, tag_set
from stockroom.adapters.dynamodb.layout import RESERVATION_SK, item_key_attrs, table_name
from stockroom.adapters.dynamodb.reservation_codec import (
    reservation_attributes,
    reservation_from_attributes,
    reservation_key,
    ttl_of,
)
from stockroom.core.domain import AdjustmentKind, AuditContext, Change, InventoryItem
from stockroom.core.errors import OutcomeUnknown
from stockroom.core.holds import Reservation, ReservationLine, ReservationStatus
from stockroom.core.ports import ReservationChanged, WritesConflicted, WritesRefused
from stockroom.core.writes import backoff

IN_DOUBT = "DynamoDB did not answer in time; the reservation may or may not have changed (retry it)."
# A finisher that found the hold gone waits this many times for the record to say who took it.
_SETTLE_READS = 6


def _hold(
    reservation: Reservation, position: int, line: ReservationLine, audit: AuditContext
) -> dict[str, Any]:
    change = Change(AdjustmentKind.RESERVE, audit.reason, audit.request_id, position, line.quantity)
    # SPEC §7: a hold takes only what is available (and only from the item it was read as). An untracked
    # item's line takes no stock, but is counted in `reserved` too, so the item cannot start counting
    # (and a confirm sell units it never counted) while the reservation lives.
    return item_change(
        reservation.key(line),
        change,
        audit.created_date,
        "attribute_exists(pk) AND #id = :id AND trackQuantity = :tracked AND NOT contains(holds, :tag)"
        + (" AND available >= :n" if line.tracked else ""),
        "reserved = reserved + :n" + (", available = available - :n" if line.tracked else ""),
        {
            ":id": {"S": line.item_id},
            ":tracked": {"BOOL": line.tracked},
            ":n": n(line.quantity),
            ":tag": n(line.tag),
            ":tags": tag_set(line.tag),
        },
        add="holds :tags",
        names={"#id": "id"},
    )


def _finish(
    reservation: Reservation,
    position: int,
    line: ReservationLine,
    status: ReservationStatus,
    audit: AuditContext,
) -> dict[str, Any]:
    confirm = status is ReservationStatus.CONFIRMED
    kind = AdjustmentKind.CONFIRM if confirm else AdjustmentKind.RELEASE
    change = Change(kind, audit.reason, audit.request_id, position, -line.quantity)
    sets = "reserved = reserved - :n"  # an untracked item's line: no stock to take or free
    if line.tracked:
        sets += ", quantity = quantity - :n" if confirm else ", available = available + :n"
    return item_change(
        reservation.key(line),
        change,
        audit.created_date,
        "attribute_exists(pk) AND contains(holds, :tag)",
        sets,
        {":n": n(line.quantity), ":tag": n(line.tag), ":tags": tag_set(line.tag)},
        delete="holds :tags",
    )


def _found(attrs: dict[str, Any] | None) -> InventoryItem | None:
    return item_from_attributes(attrs) if attrs else None


class DynamoDBReservationRepository:
    def __init__(self, client: Any = None) -> None:
        self._table = TableClient(client)

    # --- create -------------------------------------------------------------------------------------------

    def reserve(self, reservation: Reservation, audit: AuditContext, token: str) -> None:
        if len(reservation.lines) == 1:
            self._hold_alone(reservation, audit)
        else:
            self._hold_together(reservation, audit, token)
        self._put_record(reservation)

    def _hold_alone(self, reservation: Reservation, audit: AuditContext) -> None:
        line = reservation.lines[0]
        update = _hold(reservation, 0, line, audit)
        for _ in range(REQUESTS_PER_WRITE):
            try:
                self._table.write_item("update_item", update)
                return
            except Refused as refused:
                item = _found(refused.item)
                if item is not None and line.tag in item.holds:
                    return  # held by this very reservation: an earlier send whose answer was lost
                raise WritesRefused({0: item}) from refused
            except InDoubt:
                continue  # sent again: its tag makes it hold once, and a repeat is recognised as ours
        raise OutcomeUnknown(IN_DOUBT)

    def _hold_together(self, reservation: Reservation, audit: AuditContext, token: str) -> None:
        operations = [
            {"Update": _hold(reservation, position, line, audit)}
            for position, line in enumerate(reservation.lines)
        ]
        try:
            self._table.transact(operations, token=token)
        except Cancelled as cancelled:
            refused = {
                position: _found(cancelled.reasons[position].get("Item"))
                for position in range(len(operations))
                if cancelled.failed(position)
            }
            landed = all(
                item is not None and line.tag in item.holds
                for position, item in refused.items()
                for line in [reservation.lines[position]]
            )
            if refused and landed:
                return  # every refusal is this reservation's own hold: an earlier send landed whole
            if refused:
                raise WritesRefused(refused) from cancelled
            raise WritesConflicted(frozenset(range(len(reservation.lines)))) from cancelled

    def _put_record(self, reservation: Reservation) -> None:
        try:
            self._table.call(
                "put_item",
                TableName=table_name(),
                Item=reservation_attributes(reservation),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            # Put before, by an earlier send of this same reservation (its id is the request's).

    # --- read ---------------------------------------------------------------------------------------------

    def get_reservation(self, store_id: str, reservation_id: str) -> Reservation | None:
        found = self._table.get(reservation_key(store_id, reservation_id, RESERVATION_SK))
        return None if found is None else reservation_from_attributes(found)

    # --- finish -------------------------------------------------------------------------------------------

    def finish(self, reservation: Reservation, status: ReservationStatus, audit: AuditContext) -> None:
        held = list(enumerate(reservation.lines))
        if len(held) == 1:
            position, line = held[0]
            self._finish_alone(reservation, position, line, status, audit)
        elif held:
            operations = [{"Update": _finish(reservation, p, line, status, audit)} for p, line in held]
            token = f"{audit.request_id}:{status.value}:{reservation.id}:{audit.created_date}"
            try:
                self._table.transact(operations, token=token)
            except Cancelled as cancelled:
                raise ReservationChanged(self._settled(reservation)) from cancelled
        self._set_record(reservation, status, audit.created_date)

    def _finish_alone(
        self,
        reservation: Reservation,
        position: int,
        line: ReservationLine,
        status: ReservationStatus,
        audit: AuditContext,
    ) -> None:
        try:
            self._table.write_item("update_item", _finish(reservation, position, line, status, audit))
        except Refused as refused:
            raise ReservationChanged(self._settled(reservation)) from refused
        except InDoubt as doubt:
            key = reservation.key(line)
            current = self._table.get(item_key_attrs(key))
            if current is not None and line.tag in item_from_attributes(current).holds:
                raise OutcomeUnknown(IN_DOUBT) from doubt  # not applied yet; a held send may still land
            # The hold is gone: ours if the item's ledger has this very change.
            if settle.find_change(self._table, key, audit.request_id, position, [audit.created_date]) is None:
                raise ReservationChanged(self._settled(reservation)) from doubt

    def _settled(self, reservation: Reservation) -> Reservation | None:
        """The reservation as stored, once it says how the hold another call took was finished (the call
        that took it writes the record just after); as stored if it does not in a moment."""
        current = self.get_reservation(reservation.store_id, reservation.id)
        for attempt in range(_SETTLE_READS):
            if current is None or current.status is not ReservationStatus.ACTIVE:
                break
            backoff(attempt + 2)
            current = self.get_reservation(reservation.store_id, reservation.id)
        return current

    def _set_record(self, reservation: Reservation, status: ReservationStatus, now: str) -> None:
        finished = Reservation(
            id=reservation.id,
            store_id=reservation.store_id,
            status=status,
            lines=reservation.lines,
            expires_at=reservation.expires_at,
            created_date=reservation.created_date,
            updated_date=now,
        )
        try:
            self._table.call(
                "update_item",
                TableName=table_name(),
                Key=reservation_key(reservation.store_id, reservation.id, RESERVATION_SK),
                ConditionExpression="#status = :active",
                UpdateExpression="SET #status = :status, updatedDate = :now, expiresAt = :retain",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":active": {"S": ReservationStatus.ACTIVE.value},
                    ":status": {"S": status.value},
                    ":now": {"S": now},
                    ":retain": n(ttl_of(finished)),
                },
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            # Already finished: this very call, sent again after its answer was lost.

    # --- extend -------------------------------------------------------------------------------------------

    def extend(self, reservation: Reservation, extended: Reservation, now: str) -> None:
        """Swap each line's tag for the extended one's, on condition that the item's holds are still the
        ones read (so no other hold's tag is lost), then the record; a tag gone is ReservationChanged."""
        for old, new in zip(reservation.lines, extended.lines, strict=True):
            self._swap(reservation, old, new)
        self._table.call(
            "update_item",
            TableName=table_name(),
            Key=reservation_key(reservation.store_id, reservation.id, RESERVATION_SK),
            ConditionExpression="#status = :active",
            UpdateExpression="SET holdUntil = :until, updatedDate = :now, expiresAt = :ttl, #lines = :lines",
            ExpressionAttributeNames={"#status": "status", "#lines": "lines"},
            ExpressionAttributeValues={
                ":active": {"S": ReservationStatus.ACTIVE.value},
                ":until": {"S": extended.expires_at},
                ":now": {"S": now},
                ":ttl": n(ttl_of(extended)),
                ":lines": reservation_attributes(extended)["lines"],
            },
        )

    def _swap(self, reservation: Reservation, old: ReservationLine, new: ReservationLine) -> None:
        key = item_key_attrs(reservation.key(old))
        for attempt in range(REQUESTS_PER_WRITE + 2):
            stored = self._table.get(key)
            holds = item_from_attributes(stored).holds if stored else ()
            if old.tag not in holds:
                if new.tag in holds:
                    return  # swapped already (this call, sent again)
                raise ReservationChanged(self._settled(reservation))
            swapped = (*(t for t in holds if t != old.tag), new.tag)
            try:
                self._table.write_item(
                    "update_item",
                    {
                        "TableName": table_name(),
                        "Key": key,
                        "ConditionExpression": "holds = :read",
                        "UpdateExpression": "SET holds = :swapped",
                        "ExpressionAttributeValues": {
                            ":read": tag_set(*holds),
                            ":swapped": tag_set(*swapped),
                        },
                    },
                )
                return
            except (Refused, InDoubt):
                backoff(attempt)  # another hold came or went meanwhile: read again
        raise OutcomeUnknown(IN_DOUBT)

    # --- expiry -------------------------------------------------------------------------------------------

    def keep_expired(self, reservation: Reservation, now: str) -> None:
        """Store the reservation EXPIRED (the collector: DynamoDB deleted its record at its expiry)."""
        expired = Reservation(
            id=reservation.id,
            store_id=reservation.store_id,
            status=ReservationStatus.EXPIRED,
            lines=reservation.lines,
            expires_at=reservation.expires_at,
            created_date=reservation.created_date,
            updated_date=now,
        )
        try:
            self._table.call(
                "put_item",
                TableName=table_name(),
                Item=reservation_attributes(expired),
                ConditionExpression="attribute_not_exists(pk) OR #status = :active",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":active": {"S": ReservationStatus.ACTIVE.value}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

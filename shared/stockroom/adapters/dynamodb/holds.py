"""Reservations in DynamoDB (SPEC §7): the `ReservationRepository` port (reclaiming expired holds is
`expired_holds`).

Each call is one transaction whose conditions are the rule it relies on:
- create: per tracked line, the item's `available >= n` (then reserved += n, available -= n) and a new hold;
  per untracked line, on condition that the item still does not track, reserved += n (it takes no stock,
  but the item cannot start counting while it lives) and a new hold; the reservation and its timer.
- confirm / release: the reservation ACTIVE and `holdUntil > now`; each hold still there; each item
  changed once (confirm: quantity -= n, reserved -= n; release: reserved -= n, available += n).
- extend: the same reservation condition; the reservation, its timer and every hold get the new expiry.
Every item change stamps `change` on the item, so the stream's ledger writes RESERVE, CONFIRM, RELEASE
and EXPIRE records like any other.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from stockroom.adapters.dynamodb.client import Cancelled, TableClient
from stockroom.adapters.dynamodb.codec import item_from_attributes, n
from stockroom.adapters.dynamodb.expired_holds import item_change
from stockroom.adapters.dynamodb.layout import (
    RESERVATION_RETENTION_SECONDS,
    RESERVATION_SK,
    TIMER_SK,
    AttributeMap,
    hold_key,
    table_name,
)
from stockroom.adapters.dynamodb.reservation_codec import (
    reservation_attributes,
    reservation_from_attributes,
    reservation_key,
    timer_put,
)
from stockroom.core.domain import AdjustmentKind, AuditContext, Change
from stockroom.core.holds import Reservation, ReservationStatus, epoch_seconds
from stockroom.core.ports import ReservationChanged, WritesConflicted, WritesRefused


def _timer_delete(reservation: Reservation) -> dict[str, Any]:
    return {
        "Delete": {
            "TableName": table_name(),
            "Key": reservation_key(reservation.store_id, reservation.id, TIMER_SK),
        }
    }


def _still_active(reservation: Reservation, now: str, sets: str, values: AttributeMap) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": table_name(),
            "Key": reservation_key(reservation.store_id, reservation.id, RESERVATION_SK),
            "ConditionExpression": "#status = :active AND holdUntil > :now",
            "UpdateExpression": f"SET updatedDate = :now, {sets}",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":active": {"S": ReservationStatus.ACTIVE.value},
                ":now": {"S": now},
                **values,
            },
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


class DynamoDBReservationRepository:
    def __init__(self, client: Any = None) -> None:
        self._table = TableClient(client)

    def reserve(self, reservation: Reservation, audit: AuditContext, token: str) -> None:
        now = audit.created_date
        operations: list[dict[str, Any]] = []
        starts: list[int] = []
        for position, line in enumerate(reservation.lines):
            key = reservation.key(line)
            starts.append(len(operations))
            values = {":id": {"S": line.item_id}, ":n": n(line.quantity), ":tracked": {"BOOL": line.tracked}}
            change = Change(AdjustmentKind.RESERVE, audit.reason, audit.request_id, position, line.quantity)
            # A hold takes only what is available (and only from the item it was read as). An untracked
            # item's line takes no stock, but is counted in `reserved` too (no switch of tracking while
            # it lives), on condition that the item still keeps no count.
            update = item_change(
                key,
                change,
                now,
                "attribute_exists(pk) AND #id = :id AND trackQuantity = :tracked"
                + (" AND available >= :n" if line.tracked else ""),
                "reserved = reserved + :n" + (", available = available - :n" if line.tracked else ""),
                values,
            )
            update["Update"]["ExpressionAttributeNames"]["#id"] = "id"
            operations += [
                update,
                {
                    "Put": {
                        "TableName": table_name(),
                        "Item": {
                            **hold_key(key, reservation.id),
                            "entity": {"S": "Hold"},
                            "storeId": {"S": reservation.store_id},
                            "reservationId": {"S": reservation.id},
                            "quantity": n(line.quantity),
                            "tracked": {"BOOL": line.tracked},
                            "holdUntil": {"S": reservation.expires_at},
                        },
                        "ConditionExpression": "attribute_not_exists(sk)",
                    }
                },
            ]
        retain = epoch_seconds(reservation.expires_at) + RESERVATION_RETENTION_SECONDS
        operations += [
            {
                "Put": {
                    "TableName": table_name(),
                    "Item": reservation_attributes(reservation, retain),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            timer_put(reservation, reservation.expires_at),
        ]
        try:
            self._table.transact(operations, token=token)
        except Cancelled as cancelled:
            refused = {
                position: item_from_attributes(old) if (old := cancelled.reasons[start].get("Item")) else None
                for position, start in enumerate(starts)
                if cancelled.failed(start)
            }
            if refused:
                raise WritesRefused(refused) from cancelled
            if any(cancelled.failed(i) for i in range(len(operations))):
                return  # only the reservation's own put: this very transaction landed before, answer lost
            raise WritesConflicted(frozenset(range(len(reservation.lines)))) from cancelled

    def get_reservation(self, store_id: str, reservation_id: str) -> Reservation | None:
        found = self._table.get(reservation_key(store_id, reservation_id, RESERVATION_SK))
        return None if found is None else reservation_from_attributes(found)

    def _run(self, reservation: Reservation, operations: list[dict[str, Any]], token: str) -> None:
        """The reservation's condition is operation 0: its failure hands back the reservation as stored."""
        try:
            self._table.transact(operations, token=token)
        except Cancelled as cancelled:
            old = cancelled.reasons[0].get("Item") if cancelled.failed(0) else None
            current = (
                reservation_from_attributes(old)
                if old
                else self.get_reservation(reservation.store_id, reservation.id)
            )
            raise ReservationChanged(current) from cancelled

    def finish(self, reservation: Reservation, status: ReservationStatus, audit: AuditContext) -> None:
        now = audit.created_date
        retain = epoch_seconds(now) + RESERVATION_RETENTION_SECONDS
        operations = [
            _still_active(
                reservation,
                now,
                "#status = :status, expiresAt = :retain",
                {
                    ":status": {"S": status.value},
                    ":retain": n(retain),
                },
            ),
            _timer_delete(reservation),
        ]
        confirm = status is ReservationStatus.CONFIRMED
        kind = AdjustmentKind.CONFIRM if confirm else AdjustmentKind.RELEASE
        for position, line in enumerate(reservation.lines):
            key = reservation.key(line)
            change = Change(kind, audit.reason, audit.request_id, position, -line.quantity)
            sets = "reserved = reserved - :n"  # an untracked item's line: no stock to take or free
            if line.tracked:
                sets += ", quantity = quantity - :n" if confirm else ", available = available + :n"
            operations += [
                item_change(
                    key,
                    change,
                    now,
                    "attribute_exists(pk) AND reserved >= :n",
                    sets,
                    {":n": n(line.quantity)},
                ),
                {
                    "Delete": {
                        "TableName": table_name(),
                        "Key": hold_key(key, reservation.id),
                        "ConditionExpression": "attribute_exists(sk)",
                    }
                },
            ]
        # Exactly once is the reservation's condition (ACTIVE), not the token: the token names this attempt
        # (its time too), so a keyed retry after a write that did not land is not refused as a mismatch.
        token = f"{audit.request_id}:{status.value}:{reservation.id}:{audit.created_date}"
        self._run(reservation, operations, token)

    def extend(self, reservation: Reservation, expires_at: str, now: str) -> None:
        retain = epoch_seconds(expires_at) + RESERVATION_RETENTION_SECONDS
        operations = [
            _still_active(
                reservation,
                now,
                "holdUntil = :until, expiresAt = :retain",
                {
                    ":until": {"S": expires_at},
                    ":retain": n(retain),
                },
            ),
            timer_put(reservation, expires_at),
            *(
                {
                    "Update": {
                        "TableName": table_name(),
                        "Key": hold_key(reservation.key(line), reservation.id),
                        "ConditionExpression": "attribute_exists(sk)",
                        "UpdateExpression": "SET holdUntil = :until",
                        "ExpressionAttributeValues": {":until": {"S": expires_at}},
                    }
                }
                for line in reservation.holds
            ),
        ]
        self._run(reservation, operations, "")

    def mark_expired(self, reservation: Reservation, now: str) -> bool:
        try:
            self._table.call(
                "update_item",
                TableName=table_name(),
                Key=reservation_key(reservation.store_id, reservation.id, RESERVATION_SK),
                ConditionExpression="#status = :active AND holdUntil <= :now",
                UpdateExpression="SET #status = :expired, updatedDate = :now",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":active": {"S": ReservationStatus.ACTIVE.value},
                    ":expired": {"S": ReservationStatus.EXPIRED.value},
                    ":now": {"S": now},
                },
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

"""Data access for admin session health: sessions by day or by user, rollup cells,
the rollup ledger, and a session's messages and corrections.

Every read is a key or index query: a list reads one day (or one user) at a time and
stats read one rollup partition per month in range.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from botocore.exceptions import ClientError

from speakpho import ddb
from speakpho.store import TableStore
from speakpho.deps import resettable

from speakpho.close_codes import NORMAL_CLOSURE

from admin.health import Contribution, HealthFilter, ledger_key


@dataclass
class HealthStore(TableStore):
    # rollups ---------------------------------------------------------------
    def rollup_cells(self, day_from: str, day_to: str) -> list[dict]:
        """Cells of the days in range: one Query per month (a month holds at most a few
        hundred small cells, one page)."""
        items: list[dict] = []
        for month in sorted(_months_between(day_from, day_to)):
            low = max(day_from, f"{month}-01")
            high = min(day_to, f"{month}-31")
            items.extend(ddb.query_all(
                self.client, TableName=self.rollups,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
                ExpressionAttributeValues=ddb.values({":pk": f"month#{month}", ":low": low, ":high": high + "#~"}),
            ))
        return items

    def get_ledger(self, session_id: str) -> dict | None:
        resp = self.client.get_item(TableName=self.rollups, Key=ddb.serialize(ledger_key(session_id)),
                                    ConsistentRead=True)
        return ddb.deserialize(resp.get("Item"))

    def commit_rollup(self, *, session_id: str, seen_version: int | None, version: int,
                      target: Contribution | None, deltas: dict[tuple[str, str], dict]) -> bool:
        """Adds the deltas to their cells and records `target` as applied, in one transaction
        conditioned on the ledger being as read. False when the ledger changed meanwhile."""
        items = []
        for (pk, sk), values in sorted(deltas.items()):
            names = {f"#c{i}": name for i, name in enumerate(values)}
            vals = {f":c{i}": value for i, value in enumerate(values.values())}
            items.append({"Update": {
                "TableName": self.rollups,
                "Key": ddb.serialize({"pk": pk, "sk": sk}),
                "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(values))),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": ddb.values(vals),
            }})
        ledger = {**ledger_key(session_id), "appliedVersion": version}
        if target is not None:
            ledger.update({"cellPk": target.pk, "cellSk": target.sk, "values": target.values})
        if seen_version is None:
            condition, cond_values = "attribute_not_exists(pk)", None
        else:
            condition, cond_values = "appliedVersion = :seen", ddb.values({":seen": seen_version})
        put = {"TableName": self.rollups, "Item": ddb.serialize(ledger), "ConditionExpression": condition}
        if cond_values:
            put["ExpressionAttributeValues"] = cond_values
        items.append({"Put": put})
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if ddb.is_condition_failure(exc) and "ConditionalCheckFailed" in ddb.cancellation_reasons(exc):
                return False
            raise
        return True

    # sessions --------------------------------------------------------------
    def sessions_page(self, flt: HealthFilter, partition: str, limit: int,
                      start: dict | None) -> tuple[list[dict], dict | None]:
        """One query of the list: `partition` is "day:YYYY-MM-DD" or "user:<id>", newest first.

        Returns the items and the position to continue from ({sessionId, startedAt}) or None."""
        kind, _, value = partition.partition(":")
        names: dict[str, str] = {}
        vals: dict[str, object] = {}
        if kind == "day":
            index, key_attr = "sessions_by_day", "startDay"
            key_condition = "startDay = :part"
            vals[":part"] = value
        else:
            index, key_attr = "sessions_by_user", "userId"
            key_condition = "userId = :part AND startedAt BETWEEN :lo AND :hi"
            vals.update({":part": value, ":lo": flt.start_ms, ":hi": flt.end_ms})
        request = {
            "TableName": self.sessions, "IndexName": index, "KeyConditionExpression": key_condition,
            "ScanIndexForward": False, "Limit": limit,
        }
        filter_expression = _row_filter(flt, names, vals)
        if filter_expression:
            request["FilterExpression"] = filter_expression
        if names:
            request["ExpressionAttributeNames"] = names
        request["ExpressionAttributeValues"] = ddb.values(vals)
        if start:
            request["ExclusiveStartKey"] = ddb.serialize({**start, key_attr: value})
        page = self.client.query(**request)
        items = [ddb.deserialize(i) for i in page.get("Items", [])]
        last = ddb.deserialize(page.get("LastEvaluatedKey"))
        position = {"sessionId": last["sessionId"], "startedAt": int(last["startedAt"])} if last else None
        return items, position

    def user_sessions_in_range(self, user_id: str, start_ms: int, end_ms: int) -> list[dict]:
        return ddb.query_all(
            self.client, TableName=self.sessions, IndexName="sessions_by_user",
            KeyConditionExpression="userId = :u AND startedAt BETWEEN :lo AND :hi",
            ExpressionAttributeValues=ddb.values({":u": user_id, ":lo": start_ms, ":hi": end_ms}),
        )

    def get_session(self, session_id: str) -> dict | None:
        resp = self.client.get_item(TableName=self.sessions, Key=ddb.serialize({"sessionId": session_id}))
        return ddb.deserialize(resp.get("Item"))

    def session_messages(self, session_id: str) -> list[dict]:
        return ddb.query_all(self.client, TableName=self.messages, KeyConditionExpression="sessionId = :s",
                             ExpressionAttributeValues=ddb.values({":s": session_id}))

    def session_corrections(self, session_id: str) -> list[dict]:
        return ddb.query_all(self.client, TableName=self.corrections, IndexName="corrections_by_session",
                             KeyConditionExpression="sessionId = :s",
                             ExpressionAttributeValues=ddb.values({":s": session_id}))


def _row_filter(flt: HealthFilter, names: dict, vals: dict) -> str | None:
    """The provider, mode and hasDisconnect filters as a FilterExpression (same meaning as
    health.cell_matches applies to rollup cells)."""
    parts = []
    if flt.provider is not None:
        names["#provider"] = "provider"
        vals[":provider"] = flt.provider
        parts.append("#provider = :provider")
    if flt.mode is not None:
        names["#mode"] = "mode"
        vals[":mode"] = flt.mode
        parts.append("#mode = :mode")
    if flt.has_disconnect is not None:
        names["#code"] = "disconnectCode"
        vals[":normal"] = NORMAL_CLOSURE
        if flt.has_disconnect:
            parts.append("(attribute_exists(#code) AND #code <> :normal)")
        else:
            parts.append("(attribute_not_exists(#code) OR #code = :normal)")
    return " AND ".join(parts) or None


def _months_between(day_from: str, day_to: str) -> set[str]:
    year, month = int(day_from[:4]), int(day_from[5:7])
    months = set()
    while f"{year:04d}-{month:02d}" <= day_to[:7]:
        months.add(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return months


@resettable
@lru_cache(maxsize=1)
def health_store() -> HealthStore:
    from speakpho.aws import dynamodb_client
    from speakpho.config import get_settings

    return HealthStore(client=dynamodb_client(), table_names=get_settings().table_names)

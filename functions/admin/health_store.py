"""Data access for the admin health routes: rollup cells, pages of sessions by day or by
user, one user's sessions in a range. A session, its messages and its corrections are the
shared readers of speakpho.store.TableStore.

Every read is a key or index query: a list reads one day (or one user) at a time and
stats read one rollup partition per month in range. Implements
admin.health.ports.SessionPages and SessionDetails.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from speakpho import ddb
from speakpho.deps import resettable
from speakpho.store import TableStore
from speakpho.tables import rollup_month_pks


@dataclass
class HealthStore(TableStore):
    rollup_shards: int = 1   # Settings.rollup_shards: every shard of a month is read

    def rollup_cells(self, day_from: str, day_to: str) -> list[dict]:
        """Cells of the days in range: one Query per shard of each month (a month's shard holds
        at most a few hundred small cells, one page). The same cell comes once per shard that
        holds it; the caller adds them up (admin.health.stats)."""
        items: list[dict] = []
        for month in sorted(_months_between(day_from, day_to)):
            low = max(day_from, f"{month}-01")
            high = min(day_to, f"{month}-31")
            for pk in rollup_month_pks(month, self.rollup_shards):
                items.extend(ddb.query_all(
                    self.client, TableName=self.rollups,
                    KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
                    ExpressionAttributeValues=ddb.values({":pk": pk, ":low": low, ":high": high + "#~"}),
                ))
        return items

    def sessions_page(self, partition: str, limit: int, start: dict | None, *,
                      start_ms: int, end_ms: int) -> tuple[list[dict], dict | None]:
        """One query of the list: `partition` is "day:YYYY-MM-DD" or "user:<id>" (started in
        [start_ms, end_ms]), newest first. `Limit` counts the rows read; the caller filters.

        Returns the items and the position to continue from ({sessionId, startedAt}) or None."""
        kind, _, value = partition.partition(":")
        if kind == "day":
            index, key_attr = "sessions_by_day", "startDay"
            key_condition = "startDay = :part"
            vals: dict[str, object] = {":part": value}
        else:
            index, key_attr = "sessions_by_user", "userId"
            key_condition = "userId = :part AND startedAt BETWEEN :lo AND :hi"
            vals = {":part": value, ":lo": start_ms, ":hi": end_ms}
        request = {
            "TableName": self.sessions, "IndexName": index, "KeyConditionExpression": key_condition,
            "ScanIndexForward": False, "Limit": limit, "ExpressionAttributeValues": ddb.values(vals),
        }
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

    settings = get_settings()
    return HealthStore(client=dynamodb_client(), table_names=settings.table_names,
                       rollup_shards=settings.rollup_shards)

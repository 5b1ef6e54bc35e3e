"""Data access for the admin health routes: rollup cells, pages of sessions by day or by
user, one user's sessions in a range. A session, its messages and its corrections are the
shared readers of speakpho.store.TableStore.

Every read is a key or index query: a list reads one day (or one user) at a time and
stats read one rollup partition per month in range. The day and user indexes hold keys only
(the story grows with a session's events and must not ride into them): each Query that
returns keys is followed by one BatchGetItem of those items, so a Query reads at most
ddb.BATCH_GET_LIMIT keys. Which index each reader queries: speakpho.reader_indexes.
Implements admin.health.ports.SessionPages and SessionDetails.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from speakpho import ddb, reader_indexes
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
        [start_ms, end_ms]), newest first. `Limit` counts the rows read (at most
        ddb.BATCH_GET_LIMIT); the caller filters. Two requests: the Query for the keys, and
        one BatchGetItem for their items (none when the Query found no key).

        Returns the items and the position to continue from ({sessionId, startedAt}) or None."""
        kind, _, value = partition.partition(":")
        if kind == "day":
            index, key_attr = reader_indexes.queried(reader_indexes.SESSIONS_BY_DAY), "startDay"
            key_condition = "startDay = :part"
            vals: dict[str, object] = {":part": value}
        else:
            index, key_attr = reader_indexes.queried(reader_indexes.SESSIONS_BY_USER), "userId"
            key_condition = "userId = :part AND startedAt BETWEEN :lo AND :hi"
            vals = {":part": value, ":lo": start_ms, ":hi": end_ms}
        request = {
            "TableName": self.sessions, "IndexName": index, "KeyConditionExpression": key_condition,
            "ScanIndexForward": False, "Limit": min(limit, ddb.BATCH_GET_LIMIT),
            "ExpressionAttributeValues": ddb.values(vals),
        }
        if start:
            request["ExclusiveStartKey"] = ddb.serialize({**start, key_attr: value})
        page = self.client.query(**request)
        items = self._items(page.get("Items", []))
        last = ddb.deserialize(page.get("LastEvaluatedKey"))
        position = {"sessionId": last["sessionId"], "startedAt": int(last["startedAt"])} if last else None
        return items, position

    def user_sessions_in_range(self, user_id: str, start_ms: int, end_ms: int) -> list[dict]:
        """Every session of the user started in range: pages of ddb.BATCH_GET_LIMIT keys, each
        followed by one BatchGetItem (the cost grows with that user's sessions in range)."""
        request = {
            "TableName": self.sessions, "IndexName": reader_indexes.queried(reader_indexes.SESSIONS_BY_USER),
            "KeyConditionExpression": "userId = :u AND startedAt BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": ddb.values({":u": user_id, ":lo": start_ms, ":hi": end_ms}),
            "Limit": ddb.BATCH_GET_LIMIT,
        }
        sessions: list[dict] = []
        while True:
            page = self.client.query(**request)
            sessions.extend(self._items(page.get("Items", [])))
            if "LastEvaluatedKey" not in page:
                return sessions
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _items(self, index_entries: list[dict]) -> list[dict]:
        """The whole session items of a keys-only page, in its order (one BatchGetItem; an
        item gone since the index was read is left out)."""
        keys = [{"sessionId": ddb.deserialize(e)["sessionId"]} for e in index_entries]
        return ddb.batch_get(self.client, self.sessions, keys)


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

"""Data access for the stream processor: the per-session rollup ledger and the cells it
moves, in the session_rollups table. Implements admin.health.ports.RollupLedger.

A lost race (the ledger changed since it was read) raises speakpho.errors.ConditionLost;
botocore's errors stay in here.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from speakpho import ddb
from speakpho.deps import resettable
from speakpho.errors import ConditionLost
from speakpho.store import TableStore
from speakpho.tables import rollup_ledger_key

if TYPE_CHECKING:
    from admin.health.cells import Contribution


@dataclass
class RollupStore(TableStore):
    rollup_shards: int = 1   # Settings.rollup_shards (docs/scale.md "Write-sharding")

    def get_ledger(self, session_id: str) -> dict | None:
        resp = self.client.get_item(TableName=self.rollups, Key=ddb.serialize(rollup_ledger_key(session_id)),
                                    ConsistentRead=True)
        return ddb.deserialize(resp.get("Item"))

    def commit_rollup(self, *, session_id: str, seen_version: int | None, version: int,
                      target: Contribution | None, deltas: dict[tuple[str, str], dict]) -> None:
        """Adds the deltas to their cells and records `target` as applied, in one transaction
        conditioned on the ledger being as read. ConditionLost when it changed meanwhile."""
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
        ledger = {**rollup_ledger_key(session_id), "appliedVersion": version}
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
                raise ConditionLost(f"rollup ledger of session {session_id} changed") from None
            raise


@resettable
@lru_cache(maxsize=1)
def rollup_store() -> RollupStore:
    from speakpho.aws import dynamodb_client
    from speakpho.config import get_settings

    settings = get_settings()
    return RollupStore(client=dynamodb_client(), table_names=settings.table_names,
                       rollup_shards=settings.rollup_shards)

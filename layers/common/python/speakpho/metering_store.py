"""Data access for voice-minute metering: usage periods, sessions and session content.

Every state change of a session is a conditional write, so concurrent starts, ends,
heartbeats and the stale sweeper can only ever apply one transition each. A write that
loses its condition raises speakpho.errors.ConditionLost (speakpho.store.conditional);
sessions are read with TableStore.get_session(..., consistent=True).
"""
from __future__ import annotations

from dataclasses import dataclass

from speakpho import ddb
from speakpho.corrections import stats_increment
from speakpho.store import TableStore, conditional
from speakpho.tables import (ACTIVE_SHARDS, active_shard, active_shard_value, allowance_sk_prefix, period_key,
                             profile_key, stats_key)

ACTIVE_FIELDS = ("activeSessionId", "activeStartedAt", "activeLastHeartbeatAt", "activeRemainingAtStart",
                 "activeShard")


@dataclass
class MeteringStore(TableStore):
    # reads -----------------------------------------------------------------
    def get_period(self, user_id: str, period: str) -> dict | None:
        resp = self.client.get_item(TableName=self.periods, ConsistentRead=True,
                                    Key=ddb.serialize(period_key(user_id, period)))
        return ddb.deserialize(resp.get("Item"))

    def get_period_and_profile(self, user_id: str, period: str) -> tuple[dict | None, dict | None]:
        resp = self.client.transact_get_items(TransactItems=[
            {"Get": {"TableName": self.periods, "Key": ddb.serialize(period_key(user_id, period))}},
            {"Get": {"TableName": self.periods, "Key": ddb.serialize(profile_key(user_id))}},
        ])
        rows = [ddb.deserialize(r.get("Item")) for r in resp["Responses"]]
        return rows[0], rows[1]

    # start -----------------------------------------------------------------
    def commit_start(self, *, user_id: str, period: str, period_row: dict | None, profile: dict | None,
                     plan: str, seconds_limit: int, seconds_used_after: int, session: dict,
                     stale_session: dict | None) -> None:
        """One transaction: reserve in the period row, create the session, number it in the
        user's history and close the previous active session. ConditionLost on any race."""
        now = session["startedAt"]
        period_values = {
            ":plan": plan, ":limit": seconds_limit, ":used": seconds_used_after,
            ":sid": session["sessionId"], ":now": now, ":remaining": session["remainingAtStart"],
            ":shard": active_shard(user_id), ":one": 1,
        }
        if period_row is None:
            condition = "attribute_not_exists(userId)"
        else:
            condition = "version = :version"
            period_values[":version"] = period_row.get("version", 0)
        items = [{
            "Update": {
                "TableName": self.periods,
                "Key": ddb.serialize(period_key(user_id, period)),
                "UpdateExpression": (
                    "SET #plan = if_not_exists(#plan, :plan), secondsLimit = if_not_exists(secondsLimit, :limit), "
                    "secondsUsed = :used, activeSessionId = :sid, activeStartedAt = :now, "
                    "activeLastHeartbeatAt = :now, activeRemainingAtStart = :remaining, activeShard = :shard "
                    "ADD version :one"),
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#plan": "plan"},
                "ExpressionAttributeValues": ddb.values(period_values),
            }
        }, {
            "Put": {
                "TableName": self.sessions,
                "Item": ddb.serialize(session),
                "ConditionExpression": "attribute_not_exists(sessionId)",
            }
        }]
        count = (profile or {}).get("sessionCount", 0)
        profile_values = {":seq": session["historySeq"]}
        if profile is None:
            profile_condition = "attribute_not_exists(userId)"
        else:
            profile_condition = "sessionCount = :count"
            profile_values[":count"] = count
        items.append({
            "Update": {
                "TableName": self.periods,
                "Key": ddb.serialize(profile_key(user_id)),
                "UpdateExpression": "SET sessionCount = :seq",
                "ConditionExpression": profile_condition,
                "ExpressionAttributeValues": ddb.values(profile_values),
            }
        })
        if stale_session:
            items.append(self._close_session_update(stale_session))
        conditional(self.client.transact_write_items, TransactItems=items)

    def _close_session_update(self, closing: dict) -> dict:
        """Session transition active -> ended (by the sweeper or a newer start)."""
        return {
            "Update": {
                "TableName": self.sessions,
                "Key": ddb.serialize({"sessionId": closing["sessionId"]}),
                "UpdateExpression": ("SET #status = :ended, endReason = :reason, endedAt = :endedAt, "
                                     "secondsUsed = :charge, endResult = :result ADD version :one"),
                "ConditionExpression": "#status = :active",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": ddb.values({
                    ":ended": "ended", ":active": "active", ":reason": closing["endReason"],
                    ":endedAt": closing["endedAt"], ":charge": closing["secondsUsed"],
                    ":result": closing["endResult"], ":one": 1,
                }),
            }
        }

    # heartbeat -------------------------------------------------------------
    def touch_heartbeat(self, user_id: str, period: str, session_id: str, now: int) -> dict:
        """Records a heartbeat on the live meter and returns the period row after it;
        ConditionLost when that session is not the period's active one."""
        resp = conditional(
            self.client.update_item,
            TableName=self.periods,
            Key=ddb.serialize(period_key(user_id, period)),
            UpdateExpression="SET activeLastHeartbeatAt = :now ADD version :one",
            ConditionExpression="activeSessionId = :sid",
            ExpressionAttributeValues=ddb.values({":now": now, ":sid": session_id, ":one": 1}),
            ReturnValues="ALL_NEW",
        )
        return ddb.deserialize(resp["Attributes"])

    # switch provider -------------------------------------------------------
    def switch_provider(self, *, user_id: str, session_id: str, provider: str, now: int,
                        disconnect_code: int | None, disconnect_reason: str | None) -> dict:
        """Returns the updated session. Refused (not this user's, not active, or already on
        `provider`): ConditionLost with `current` = the session as it was (None if absent)."""
        sets = ["provider = :provider", "providerSwitchedAt = :now"]
        vals = {":provider": provider, ":now": now, ":uid": user_id, ":active": "active", ":one": 1}
        if disconnect_code is not None:
            sets.append("lastSwitchDisconnectCode = :code")
            vals[":code"] = disconnect_code
        if disconnect_reason is not None:
            sets.append("lastSwitchDisconnectReason = :reason")
            vals[":reason"] = disconnect_reason
        resp = conditional(
            self.client.update_item,
            TableName=self.sessions,
            Key=ddb.serialize({"sessionId": session_id}),
            UpdateExpression="SET " + ", ".join(sets) + " ADD switchCount :one, version :one",
            ConditionExpression="userId = :uid AND #status = :active AND provider <> :provider",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=ddb.values(vals),
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        return ddb.deserialize(resp["Attributes"])

    # end -------------------------------------------------------------------
    def store_content(self, messages: list[dict], corrections: list[dict]) -> int:
        """Writes transcript and corrections with deterministic keys (a repeat overwrites,
        never duplicates). Returns the number of batch requests sent."""
        batches = 0
        if messages:
            batches += ddb.batch_write(self.client, self.messages, puts=messages)
        if corrections:
            batches += ddb.batch_write(self.client, self.corrections, puts=corrections)
        return batches

    def commit_end(self, *, session: dict, ended: dict, content: dict, corrections: list[dict],
                   charge_period: bool, period_used: int = 0, period_limit: int = 0) -> None:
        """Ends an active session (charging its period once) and/or marks its content stored.

        `ended` holds the end fields (only applied while the session is still active);
        `content` holds the fields recorded with the transcript (applied once).
        ConditionLost when the session or the period row is not as read.
        """
        user_id = session["userId"]
        sets, vals, names = [], {":one": 1}, {"#status": "status"}
        for i, (k, v) in enumerate({**ended, **content}.items()):
            if v is None:
                continue
            names[f"#f{i}"] = k
            vals[f":f{i}"] = v
            sets.append(f"#f{i} = :f{i}")
        if charge_period:
            condition = "#status = :active AND attribute_not_exists(contentStoredAt)"
            vals[":active"] = "active"
        else:
            condition = "#status = :ended AND attribute_not_exists(contentStoredAt)"
            vals[":ended"] = "ended"
        items = [{
            "Update": {
                "TableName": self.sessions,
                "Key": ddb.serialize({"sessionId": session["sessionId"]}),
                "UpdateExpression": "SET " + ", ".join(sets) + " ADD version :one",
                "ConditionExpression": condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": ddb.values(vals),
            }
        }]
        if charge_period:
            items.append({
                "Update": {
                    "TableName": self.periods,
                    "Key": ddb.serialize(period_key(user_id, session["period"])),
                    "UpdateExpression": "SET secondsUsed = secondsUsed + :charge REMOVE "
                                        + ", ".join(ACTIVE_FIELDS) + " ADD version :one",
                    # The exact totals make the stored end answer exact; if an admin changed
                    # the allowance meanwhile this fails and the caller retries with fresh totals.
                    "ConditionExpression": "activeSessionId = :sid AND secondsUsed = :usedAtStart "
                                           "AND secondsLimit = :limit",
                    "ExpressionAttributeValues": ddb.values({
                        ":charge": ended["secondsUsed"], ":sid": session["sessionId"],
                        ":usedAtStart": period_used, ":limit": period_limit, ":one": 1,
                    }),
                }
            })
        if corrections:
            expr, stat_names, stat_vals = stats_increment(corrections)
            items.append({
                "Update": {
                    "TableName": self.corrections,
                    "Key": ddb.serialize(stats_key(user_id)),
                    "UpdateExpression": expr,
                    "ExpressionAttributeNames": stat_names,
                    "ExpressionAttributeValues": ddb.values(stat_vals),
                }
            })
        conditional(self.client.transact_write_items, TransactItems=items)

    # stale sweep -----------------------------------------------------------
    def stale_candidates(self, cutoff: int, limit: int = 100) -> list[dict]:
        found: list[dict] = []
        for shard in range(ACTIVE_SHARDS):
            resp = self.client.query(
                TableName=self.periods, IndexName="active_by_heartbeat",
                KeyConditionExpression="activeShard = :shard AND activeLastHeartbeatAt < :cutoff",
                ExpressionAttributeValues=ddb.values({":shard": active_shard_value(shard), ":cutoff": cutoff}),
                Limit=limit,
            )
            found.extend(ddb.deserialize(i) for i in resp.get("Items", []))
        return found

    def commit_close(self, *, user_id: str, period_row: dict, closing: dict) -> None:
        """Close the period's active session as stale, charging it to its last heartbeat.
        ConditionLost when the period row changed since it was read."""
        conditional(self.client.transact_write_items, TransactItems=[
            {"Update": {
                "TableName": self.periods,
                "Key": ddb.serialize(period_key(user_id, period_row["period"])),
                "UpdateExpression": "SET secondsUsed = secondsUsed + :charge REMOVE "
                                    + ", ".join(ACTIVE_FIELDS) + " ADD version :one",
                "ConditionExpression": "version = :version AND activeSessionId = :sid",
                "ExpressionAttributeValues": ddb.values({
                    ":charge": closing["secondsUsed"], ":version": period_row.get("version", 0),
                    ":sid": closing["sessionId"], ":one": 1}),
            }},
            self._close_session_update(closing),
        ])

    # allowance -------------------------------------------------------------
    def set_allowance(self, *, user_id: str, period: str, plan: str, seconds_limit: int,
                      audit: dict) -> dict:
        """Sets the period's limit and records the change (a new audit row); returns the
        period row after it. ConditionLost if the audit row exists already (its key is unique,
        so only a conflicting concurrent transaction gets there)."""
        resp_items = [
            {"Update": {
                "TableName": self.periods,
                "Key": ddb.serialize(period_key(user_id, period)),
                "UpdateExpression": ("SET secondsLimit = :limit, #plan = if_not_exists(#plan, :plan), "
                                     "secondsUsed = if_not_exists(secondsUsed, :zero) ADD version :one"),
                "ExpressionAttributeNames": {"#plan": "plan"},
                "ExpressionAttributeValues": ddb.values({":limit": seconds_limit, ":plan": plan,
                                                         ":zero": 0, ":one": 1}),
            }},
            {"Put": {
                "TableName": self.periods,
                "Item": ddb.serialize(audit),
                "ConditionExpression": "attribute_not_exists(userId)",
            }},
        ]
        conditional(self.client.transact_write_items, TransactItems=resp_items)
        return self.get_period(user_id, period) or {}

    def allowance_changes(self, user_id: str, period: str) -> list[dict]:
        return ddb.query_all(self.client, TableName=self.periods,
                             KeyConditionExpression="userId = :u AND begins_with(period, :p)",
                             ExpressionAttributeValues=ddb.values({":u": user_id, ":p": allowance_sk_prefix(period)}))

"""Data access for voice-minute metering: usage periods, sessions and session content.

Every state change of a session is a conditional write, so concurrent starts, ends,
heartbeats and the stale sweeper can only ever apply one transition each. A write that
loses its condition raises speakpho.errors.ConditionLost (speakpho.store.conditional);
sessions are read with TableStore.get_session(..., consistent=True).

    metering_store.py  periods, start, heartbeat, switch, sweep, allowance
    end_store.py       the end: transcript batches and the ending transaction
    story_store.py     the story's expression parts, the events call and a heartbeat gap
"""
from __future__ import annotations

from dataclasses import dataclass

from speakpho import ddb, reader_indexes
from speakpho.access.lease import MAX_GRANTS_PER_SESSION
from speakpho.access_store import AccessStore
from speakpho.end_store import ACTIVE_FIELDS, EndStore
from speakpho.store import conditional
from speakpho.story_store import StoryAppend, update_expression
from speakpho.tables import (active_shard, active_shard_value, allowance_sk_prefix, period_key,
                             profile_key)


@dataclass
class MeteringStore(EndStore, AccessStore):
    """Periods, starts, heartbeats, switches, sweeps and allowances; the end's writes come
    from EndStore and the story's from StoryStore (one object: deps.metering_store)."""
    # The shards of the sweeper's index (Settings.active_shards): a start puts the session in its
    # learner's shard, the sweeper queries each. docs/scale.md "Write-sharding".
    active_shards: int = 1
    # reads -----------------------------------------------------------------
    def get_period(self, user_id: str, period: str) -> dict | None:
        resp = self.client.get_item(TableName=self.periods, ConsistentRead=True,
                                    Key=ddb.serialize(period_key(user_id, period)))
        return ddb.deserialize(resp.get("Item"))

    def get_start_reads(self, user_id: str, period: str,
                        key_record_id: str | None = None) -> tuple[dict | None, dict | None, dict | None]:
        """The period row, the profile row and (with an Idempotency-Key) the key's record,
        in one TransactGetItems; None for each that does not exist."""
        gets = [
            {"Get": {"TableName": self.periods, "Key": ddb.serialize(period_key(user_id, period))}},
            {"Get": {"TableName": self.periods, "Key": ddb.serialize(profile_key(user_id))}},
        ]
        if key_record_id:
            gets.append(self.key_record_get(key_record_id))
        resp = self.client.transact_get_items(TransactItems=gets)
        rows = [ddb.deserialize(r.get("Item")) for r in resp["Responses"]] + [None]
        return rows[0], rows[1], rows[2]

    # start -----------------------------------------------------------------
    def commit_start(self, *, user_id: str, period: str, period_row: dict | None, profile: dict | None,
                     plan: str, seconds_limit: int, seconds_used_after: int, session: dict,
                     stale_session: dict | None, start_limits: dict[str, int | None] | None = None,
                     sweep_at: int, access_until: int | None = None, key_record: dict | None = None) -> None:
        """One transaction: reserve in the period row (the live meter, in the sweeper's index at
        `sweep_at`: speakpho.metering.usage.sweep_at), create the session, number it in the
        user's history (and set `start_limits`, the start limits' buckets, on the same profile
        row, removing those given as None: speakpho.metering.limits), close the previous active
        session and, with an Idempotency-Key, put the key's record (speakpho.idempotency).
        ConditionLost on any race, or when a live record of that key exists."""
        now = session["startedAt"]
        period_values = {
            ":plan": plan, ":limit": seconds_limit, ":used": seconds_used_after,
            ":sid": session["sessionId"], ":now": now, ":remaining": session["remainingAtStart"],
            ":shard": active_shard(user_id, self.active_shards), ":one": 1, ":provider": session["provider"] if session.get("channel", "voice") == "voice" else "none",
            ":until": access_until if access_until is not None else now, ":sweep": sweep_at,
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
                    "activeLastHeartbeatAt = :now, activeSweepAt = :sweep, activeRemainingAtStart = :remaining, "
                    "activeShard = :shard, "
                    "activeProvider = :provider, activeAccessUntil = :until "
                    # a superseded session counts as closed without an end (speakpho.metering.usage)
                    + ("ADD version :one, vanishedSessions :one REMOVE activeCallId" if stale_session
                       else "ADD version :one REMOVE activeCallId")),
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
        profile_sets, profile_removes = ["sessionCount = :seq"], []
        for i, (name, value) in enumerate((start_limits or {}).items()):
            if value is None:
                profile_removes.append(name)
                continue
            profile_sets.append(f"{name} = :n{i}")
            profile_values[f":n{i}"] = value
        if profile is None:
            profile_condition = "attribute_not_exists(userId)"
        else:
            profile_condition = "sessionCount = :count"
            profile_values[":count"] = count
        items.append({
            "Update": {
                "TableName": self.periods,
                "Key": ddb.serialize(profile_key(user_id)),
                "UpdateExpression": "SET " + ", ".join(profile_sets)
                                    + (" REMOVE " + ", ".join(profile_removes) if profile_removes else ""),
                "ConditionExpression": profile_condition,
                "ExpressionAttributeValues": ddb.values(profile_values),
            }
        })
        if stale_session:
            items.append(self._close_session_update(stale_session))
        if key_record:
            items.append(self.key_record_put(key_record))
        conditional(self.client.transact_write_items, TransactItems=items)

    def _close_session_update(self, closing: dict) -> dict:
        """Session transition active -> ended (by the sweeper or a newer start), with its
        story entry (timed_out or superseded), the batched events it folds in, and no credit."""
        sets, adds, _, values = StoryAppend(list(closing["storyEntries"]),
                                            folded_ids=list(closing.get("foldedIds") or ())).parts()
        values.update({
            ":ended": "ended", ":active": "active", ":reason": closing["endReason"], ":by": closing["endedBy"],
            ":endedAt": closing["endedAt"], ":charge": closing["secondsUsed"],
            ":credit": closing["creditedSeconds"], ":result": closing["endResult"], ":one": 1,
            ":closedAt": closing["closedAt"],
        })
        return {
            "Update": {
                "TableName": self.sessions,
                "Key": ddb.serialize({"sessionId": closing["sessionId"]}),
                "UpdateExpression": update_expression(
                    ["#status = :ended", "endReason = :reason", "endedBy = :by", "endedAt = :endedAt",
                     "closedAt = :closedAt",
                     "secondsUsed = :charge", "creditedSeconds = :credit", "endResult = :result", *sets],
                    adds + ["version :one"]),
                "ConditionExpression": "#status = :active",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": ddb.values(values),
            }
        }

    # heartbeat -------------------------------------------------------------
    def touch_heartbeat(self, user_id: str, period: str, session_id: str, now: int,
                        sweep_at: int) -> tuple[dict, int | None]:
        """Records a heartbeat on the live meter, with its sweep deadline (`sweep_at`, unchanged
        within a bucket: then the sweeper's index entry is not written and the heartbeat costs 1
        write unit). Returns the period row after it and the heartbeat time it replaced (one
        request: the row as it was, with the new values derived); ConditionLost when that
        session is not the period's active one."""
        resp = conditional(
            self.client.update_item,
            TableName=self.periods,
            Key=ddb.serialize(period_key(user_id, period)),
            UpdateExpression="SET activeLastHeartbeatAt = :now, activeSweepAt = :sweep ADD version :one",
            ConditionExpression="activeSessionId = :sid",
            ExpressionAttributeValues=ddb.values({":now": now, ":sweep": sweep_at, ":sid": session_id, ":one": 1}),
            ReturnValues="ALL_OLD",
        )
        before = ddb.deserialize(resp["Attributes"])
        after = {**before, "activeLastHeartbeatAt": now, "activeSweepAt": sweep_at,
                 "version": int(before.get("version", 0)) + 1}
        return after, before.get("activeLastHeartbeatAt")

    # switch provider -------------------------------------------------------
    def switch_provider(self, *, user_id: str, session_id: str, from_provider: str, provider: str, now: int,
                        disconnect_code: int | None, disconnect_reason: str | None,
                        story_entry: dict | None = None, max_switches: int | None = None) -> dict:
        """Returns the updated session. `story_entry` (optional: the provider_switched entry)
        is recorded while the story has room. Refused (not this user's, not active, not on
        `from_provider`, at its grants' limit (a switch is followed by a grant), at `max_switches`
        switches, or an entry given and the story full): ConditionLost with `current` = the
        session as it was (None if absent)."""
        sets = ["provider = :provider", "providerSwitchedAt = :now"]
        vals = {":provider": provider, ":from": from_provider, ":now": now, ":uid": user_id, ":active": "active",
                ":one": 1, ":grants": MAX_GRANTS_PER_SESSION}
        if disconnect_code is not None:
            sets.append("lastSwitchDisconnectCode = :code")
            vals[":code"] = disconnect_code
        if disconnect_reason is not None:
            sets.append("lastSwitchDisconnectReason = :reason")
            vals[":reason"] = disconnect_reason
        switch_cap = []
        if max_switches is not None:
            switch_cap = ["(attribute_not_exists(switchCount) OR switchCount < :switches)"]
            vals[":switches"] = max_switches
        appended = StoryAppend([story_entry] if story_entry else [], capped=True)
        story_sets, story_adds, story_conditions, story_values = appended.parts()
        vals.update(story_values)
        resp = conditional(
            self.client.update_item,
            TableName=self.sessions,
            Key=ddb.serialize({"sessionId": session_id}),
            UpdateExpression=update_expression(sets + story_sets, story_adds + ["switchCount :one", "version :one"]),
            ConditionExpression=" AND ".join(["userId = :uid", "#status = :active", "provider = :from",
                                              "(attribute_not_exists(accessCount) OR accessCount < :grants)",
                                              *switch_cap, *story_conditions]),
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=ddb.values(vals),
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        return ddb.deserialize(resp["Attributes"])

    # stale sweep -----------------------------------------------------------
    def stale_candidates(self, now: int, cutoff: int, limit: int = 100) -> list[dict]:
        """The live meters whose sweep deadline (activeSweepAt) is at or before `now`: one Query
        per shard of the sparse index active_by_sweep, earliest first. Candidates only: the
        caller re-reads each row (a sign of life may have come since the index was read).
        While the deployed step still reads its predecessor (reader_indexes.queried; before the
        backfill of activeSweepAt is complete: docs/migrations.md), the meters whose last
        heartbeat is before `cutoff` (now - STALE_AFTER_SECONDS) in active_by_heartbeat."""
        index = reader_indexes.queried(reader_indexes.ACTIVE_BY_SWEEP)
        condition, bound = (("activeSweepAt <= :bound", now) if index == reader_indexes.ACTIVE_BY_SWEEP
                            else ("activeLastHeartbeatAt < :bound", cutoff))
        found: list[dict] = []
        for shard in range(self.active_shards):
            resp = self.client.query(
                TableName=self.periods, IndexName=index,
                KeyConditionExpression=f"activeShard = :shard AND {condition}",
                ExpressionAttributeValues=ddb.values({":shard": active_shard_value(shard), ":bound": bound}),
                Limit=limit,
            )
            found.extend(ddb.deserialize(i) for i in resp.get("Items", []))
        return found

    def commit_close(self, *, user_id: str, period_row: dict, closing: dict) -> None:
        """Close the period's active session (timed out), charging it to its last heartbeat.
        ConditionLost when the period row changed since it was read."""
        conditional(self.client.transact_write_items, TransactItems=[
            {"Update": {
                "TableName": self.periods,
                "Key": ddb.serialize(period_key(user_id, period_row["period"])),
                "UpdateExpression": "SET secondsUsed = secondsUsed + :charge REMOVE "
                                    + ", ".join(ACTIVE_FIELDS) + " ADD version :one, vanishedSessions :one",
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

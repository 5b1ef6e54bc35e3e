"""The end's writes: the transcript and corrections in batches, then the one transaction
that ends the session (charging its period once, net of any credit), records its content
and appends the end's story entries (speakpho.metering.end decides what goes in it)."""
from __future__ import annotations

from dataclasses import dataclass

from speakpho import ddb
from speakpho.corrections import stats_increment
from speakpho.errors import ConditionLost, CorrectionsOverCap
from speakpho.store import conditional
from speakpho.story_store import StoryAppend, StoryStore, update_expression
from speakpho.tables import period_key, stats_key
from speakpho.transcript import transcript_items

ACTIVE_FIELDS = ("activeSessionId", "activeStartedAt", "activeLastHeartbeatAt", "activeSweepAt",
                 "activeRemainingAtStart", "activeShard", "activeProvider", "activeAccessUntil", "activeCallId")


@dataclass
class EndStore(StoryStore):
    def store_content(self, messages: list[dict], corrections: list[dict]) -> int:
        """Writes transcript (its messages packed into items: speakpho.transcript) and
        corrections with deterministic keys (a repeat overwrites, never duplicates). Returns
        the number of batch requests sent."""
        batches = 0
        if messages:
            batches += ddb.batch_write(self.client, self.messages, puts=transcript_items(messages))
        if corrections:
            batches += ddb.batch_write(self.client, self.corrections, puts=corrections)
        return batches

    def delete_written(self, messages: list[dict], corrections: list[dict]) -> None:
        """Deletes content items this end wrote and no commit counted: its session's content
        was withdrawn (deleted or erased) before its commit (learning/withdrawal.py)."""
        if messages:
            ddb.batch_write(self.client, self.messages,
                            delete_keys=[{"sessionId": i["sessionId"], "seq": i["seq"]}
                                         for i in transcript_items(messages)])
        if corrections:
            ddb.batch_write(self.client, self.corrections,
                            delete_keys=[{"userId": c["userId"], "correctionId": c["correctionId"]}
                                         for c in corrections])

    def corrections_held(self, user_id: str) -> int:
        """The corrections the learner holds (their #stats row's total): one GetItem, read only
        when an end's corrections did not fit (speakpho.metering.end)."""
        resp = self.client.get_item(TableName=self.corrections, Key=ddb.serialize(stats_key(user_id)),
                                    ProjectionExpression="#t", ExpressionAttributeNames={"#t": "total"})
        return int((ddb.deserialize(resp.get("Item")) or {}).get("total") or 0)

    def commit_end(self, *, session: dict, ended: dict, content: dict, corrections: list[dict],
                   charge_period: bool, period_used: int = 0, period_limit: int = 0, period_credited: int = 0,
                   story_entries: list[dict] = (), event_ids: list[str] = (), folded_ids: list[str] = (),
                   corrections_cap: int | None = None) -> None:
        """Ends an active session (charging its period once) and/or marks its content stored.

        `ended` holds the end fields (only applied while the session is still active), its
        `secondsUsed` the net charge and its `creditedSeconds` the credit the period's
        `creditedSeconds` (the credit budget's use: speakpho.metering.end) grows by; `content`
        holds the fields recorded with the transcript (applied once); `story_entries` what the
        end appends to the story, `event_ids` the eventIds of its client events (each new),
        `folded_ids` those of the live session's batches it folds in (speakpho.metering.fold),
        among `story_entries` too; with `corrections_cap`, the counters update holds only while
        the learner's total leaves room for all of `corrections`.
        ConditionLost when the session or the period row is not as read, an eventId is
        already recorded, or the corrections do not fit (corrections_room_lost tells).
        """
        user_id = session["userId"]
        sets, vals, names = [], {":one": 1}, {"#status": "status"}
        for i, (k, v) in enumerate({**ended, **content}.items()):
            if v is None:
                continue
            names[f"#f{i}"] = k
            vals[f":f{i}"] = v
            sets.append(f"#f{i} = :f{i}")
        appended = StoryAppend(list(story_entries), list(event_ids), folded_ids=list(folded_ids))
        story_sets, story_adds, story_conditions, story_values = appended.parts()
        vals.update(story_values)
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
                "UpdateExpression": update_expression(sets + story_sets, story_adds + ["version :one"]),
                "ConditionExpression": " AND ".join([condition, *story_conditions]),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": ddb.values(vals),
            }
        }]
        if charge_period:
            # The credit so far as the end assumed it (a row that never credited has none).
            credited = ("creditedSeconds = :credited" if period_credited
                        else "(attribute_not_exists(creditedSeconds) OR creditedSeconds = :credited)")
            items.append({
                "Update": {
                    "TableName": self.periods,
                    "Key": ddb.serialize(period_key(user_id, session["period"])),
                    "UpdateExpression": "SET secondsUsed = secondsUsed + :charge, "
                                        "creditedSeconds = if_not_exists(creditedSeconds, :zero) + :credit REMOVE "
                                        + ", ".join(ACTIVE_FIELDS) + " ADD version :one",
                    # The exact totals make the stored end answer exact and keep the credit
                    # within its budget; if an admin changed the allowance meanwhile (or the
                    # session did not carry the period's credit) this fails and the caller
                    # retries with the row's totals.
                    "ConditionExpression": "activeSessionId = :sid AND secondsUsed = :usedAtStart "
                                           "AND secondsLimit = :limit AND " + credited,
                    "ExpressionAttributeValues": ddb.values({
                        ":charge": ended["secondsUsed"], ":sid": session["sessionId"],
                        ":usedAtStart": period_used, ":limit": period_limit, ":one": 1,
                        ":credit": int(ended.get("creditedSeconds") or 0), ":credited": period_credited, ":zero": 0,
                    }),
                }
            })
        if corrections:
            expr, stat_names, stat_vals = stats_increment(corrections)
            stats_update = {
                "TableName": self.corrections,
                "Key": ddb.serialize(stats_key(user_id)),
                "UpdateExpression": expr,
                "ExpressionAttributeNames": stat_names,
                "ExpressionAttributeValues": ddb.values(stat_vals),
            }
            if corrections_cap is not None:
                # The cap on corrections held (Settings.corrections_limit), checked in the
                # update the end sends anyway: no read unless it fails.
                stats_update["ConditionExpression"] = "attribute_not_exists(#held) OR #held <= :room"
                stat_names["#held"] = "total"
                stats_update["ExpressionAttributeValues"] = ddb.values(
                    {**stat_vals, ":room": corrections_cap - len(corrections)})
            items.append({"Update": stats_update})
        try:
            conditional(self.client.transact_write_items, TransactItems=items)
        except ConditionLost as lost:
            if corrections_room_lost(lost, corrections):
                raise CorrectionsOverCap(str(lost), reasons=lost.reasons) from lost
            raise


def corrections_room_lost(lost: ConditionLost, corrections: list[dict]) -> bool:
    """The end's transaction failed only because its corrections did not fit under the cap: the
    counters update, its last action when it has corrections, failed its condition and no other
    action did. (Had the session failed too, say to a racing end of the same session that
    counted these very items, the caller must re-read it, not delete them.)"""
    reasons = lost.reasons
    return (bool(corrections) and bool(reasons) and reasons[-1] == "ConditionalCheckFailed"
            and all(r == "None" for r in reasons[:-1]))

"""The one-time EventBridge Scheduler schedule that hangs up a session's OpenAI call at the
learner's limit plus the grace, when nothing else hung it up first. Its target is the hangup
function (infra.catalog.HANGUP) with {"sessionId", "userId", "callId"}; Scheduler retries it
and sends what still fails to the dead-letter queue; it deletes itself after it runs
(ActionAfterCompletion DELETE), and the end or any other hangup deletes it first."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from speakpho.config import Settings

RETRY_ATTEMPTS = 10
RETRY_MAX_AGE_SECONDS = 3600


def schedule_name(session_id: str) -> str:
    return f"hangup-{session_id}"[:64]


def at_expression(at_ms: int) -> str:
    """Scheduler's one-time expression, in UTC to the second (rounded up: never early)."""
    seconds = -(-at_ms // 1000)
    return "at(" + datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + ")"


def at_ms_of(expression: str) -> int:
    """The time of an at(...) expression (the local runner fires schedules with it)."""
    stamp = expression.strip()[3:-1]
    return int(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp() * 1000)


class SchedulerHangups:
    """HangupSchedules on EventBridge Scheduler (settings: HANGUP_SCHEDULE_GROUP, HANGUP_TARGET_ARN,
    HANGUP_ROLE_ARN, HANGUP_DEAD_LETTER_ARN)."""

    def __init__(self, settings: Settings, client) -> None:
        self.settings = settings
        self.client = client

    def _request(self, *, session_id: str, user_id: str, call_id: str, at_ms: int) -> dict:
        target = {"Arn": self.settings.hangup_target_arn, "RoleArn": self.settings.hangup_role_arn,
                  "Input": json.dumps({"sessionId": session_id, "userId": user_id, "callId": call_id}),
                  "RetryPolicy": {"MaximumRetryAttempts": RETRY_ATTEMPTS,
                                  "MaximumEventAgeInSeconds": RETRY_MAX_AGE_SECONDS}}
        if self.settings.hangup_dead_letter_arn:
            target["DeadLetterConfig"] = {"Arn": self.settings.hangup_dead_letter_arn}
        return {"Name": schedule_name(session_id), "GroupName": self.settings.hangup_schedule_group,
                "ScheduleExpression": at_expression(at_ms), "ScheduleExpressionTimezone": "UTC",
                "FlexibleTimeWindow": {"Mode": "OFF"}, "ActionAfterCompletion": "DELETE", "Target": target}

    def schedule(self, *, session_id: str, user_id: str, call_id: str, at_ms: int) -> None:
        request = self._request(session_id=session_id, user_id=user_id, call_id=call_id, at_ms=at_ms)
        try:
            self.client.create_schedule(**request)
        except self.client.exceptions.ConflictException:
            self.client.update_schedule(**request)   # a second call of the session: move it

    def cancel(self, session_id: str) -> None:
        try:
            self.client.delete_schedule(Name=schedule_name(session_id),
                                        GroupName=self.settings.hangup_schedule_group)
        except self.client.exceptions.ResourceNotFoundException:
            pass

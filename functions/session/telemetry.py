"""Business metrics of the session area (Powertools Metrics, CloudWatch EMF).

Every metric name and dimension value comes from a fixed set: close codes only from the
table (speakpho.story.code_key: anything else is `other`), providers only gemini|openai.
A learner sends close codes and events, and must not be able to create metrics.

Nor page the on-call on their own (docs/security.md, "One learner cannot trip an alarm"): a
session counts at most MAX_COUNTED_PER_SESSION connections, failures and switches toward the
ratio alarms, and every ratio alarm is quiet unless `ActiveLearners`, each learner counted once
per UTC hour (at their first start of it), reaches its minimum in the period
(infra/constructs/monitoring.py).
"""
from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from speakpho import close_codes, story
from speakpho.models import PROVIDERS

metrics = Metrics(namespace="SpeakPho", service="session")
ABNORMAL_CODES = (1006, 1011)  # the AbnormalCloses alarm's codes
# Per session (and provider, for connections and failures): a real session rarely has more than
# its start, one reconnect and one switch, three segments; a session with more is failing
# already, and "3 of 3 failed" says so. Beyond it the client's word counts for nothing more:
# 80 forged events make 41 connections and 40 failures, which count as 3 and 3.
MAX_COUNTED_PER_SESSION = 3


def _emit(name: str, value: float, dimensions: dict[str, str] | None = None) -> None:
    if not dimensions:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
        return
    # A dimension of its own: one EMF record for this metric alone (single_metric prints even
    # where metrics are switched off, as in the local runner, so the switch is honoured here).
    if is_metrics_disabled():
        return
    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=metrics.namespace,
                       default_dimensions={"service": metrics.service or "session", **dimensions}):
        pass


def session_started(data: dict, *, first_start_of_hour: bool = False) -> None:
    """`first_start_of_hour`: the learner's first start in this UTC hour (from the time of their
    previous start, which the start limits keep on the profile row: speakpho.metering.limits), so
    ActiveLearners counts a learner once an hour, whatever they do."""
    _emit("SessionsStarted", 1)
    if first_start_of_hour:
        _emit("ActiveLearners", 1)
    if data.get("closedSessionId"):
        _emit("SessionsClosedByNewStart", 1)


def provider_switched(data: dict) -> None:
    """The session's first few switches only (its switchCount after this one)."""
    if int(data.get("switchCount") or 1) <= MAX_COUNTED_PER_SESSION:
        _emit("ProviderSwitches", 1)


def disconnect_metric(code: int | None) -> str:
    """Disconnects1006 for a code of the table, DisconnectsOther for any other code."""
    key = story.code_key(code)
    return "DisconnectsOther" if key == "other" else f"Disconnects{key}"


def end_datapoints(data: dict, facts: dict) -> list[tuple[str, float, dict[str, str] | None]]:
    """(name, value, dimensions) of the end this call recorded (facts: metering.end_session)."""
    session = data["session"]
    points: list[tuple[str, float, dict[str, str] | None]] = [
        ("SessionsEnded", 1, None), ("MinutesUsed", session.get("minutesUsed", 0), None)]
    code = session.get("disconnectCode")
    if close_codes.is_disconnect(code):
        points += [("Disconnects", 1, None), (disconnect_metric(code), 1, None)]
    if code in ABNORMAL_CODES:
        points.append(("AbnormalCloses", 1, None))
    if facts.get("switchReportedAtEnd"):
        points.append(("ProviderSwitches", 1, None))   # a switch the server never saw mid-session
    summary = facts.get("summary") or {}
    # Connection segments and the failures among them, per provider: the failure-rate alarms
    # divide the one by the other (infra/constructs/monitoring.py). Each capped per session,
    # the failures at the connections counted (never more failed than connected).
    connections = {p: min(int(n), MAX_COUNTED_PER_SESSION)
                   for p, n in summary.get("connections", {}).items() if p in PROVIDERS and n}
    for provider, count in sorted(connections.items()):
        points.append(("ProviderConnections", count, {"provider": provider}))
    for provider, codes in sorted(summary.get("failures", {}).items()):
        # A failure the client charges to a provider it never connected to counts for nothing.
        failed = min(sum(codes.values()), connections.get(provider, 0)) if provider in PROVIDERS else 0
        if failed:
            points.append(("ProviderFailures", failed, {"provider": provider}))
    return points


def session_ended(data: dict, facts: dict) -> None:
    for name, value, dimensions in end_datapoints(data, facts):
        _emit(name, value, dimensions)

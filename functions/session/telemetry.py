"""Business metrics of the session area (Powertools Metrics, CloudWatch EMF)."""
from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from speakpho import close_codes

metrics = Metrics(namespace="SpeakPho", service="session")
ABNORMAL_CODES = (1006, 1011)  # the AbnormalCloses alarm's codes


def session_started(data: dict) -> None:
    metrics.add_metric(name="SessionsStarted", unit=MetricUnit.Count, value=1)
    if data.get("closedSessionId"):
        metrics.add_metric(name="SessionsClosedByNewStart", unit=MetricUnit.Count, value=1)


def provider_switched(data: dict) -> None:
    metrics.add_metric(name="ProviderSwitches", unit=MetricUnit.Count, value=1)


def session_ended(data: dict) -> None:
    session = data["session"]
    metrics.add_metric(name="SessionsEnded", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="MinutesUsed", unit=MetricUnit.Count, value=session.get("minutesUsed", 0))
    code = session.get("disconnectCode")
    if close_codes.is_disconnect(code):
        metrics.add_metric(name="Disconnects", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name=f"Disconnects{code}", unit=MetricUnit.Count, value=1)
    if code in ABNORMAL_CODES:
        metrics.add_metric(name="AbnormalCloses", unit=MetricUnit.Count, value=1)

"""Alarms and dashboard on the Powertools metrics, notifying the deploy-time SNS topic;
and the cdk-nag (AwsSolutions) report of the synthesized app."""
from __future__ import annotations

import json

import pytest
from aws_cdk import Validations

from infra_helpers import refs


def alarm(synth, name: str) -> dict:
    return synth.resources[synth.logical_id(synth.stack.monitoring.alarms[name])]["Properties"]


def metrics_of(props: dict) -> dict[str, dict]:
    """Metric-math id -> MetricStat.Metric for a math alarm."""
    return {m["Id"]: m["MetricStat"]["Metric"] for m in props["Metrics"] if "MetricStat" in m}


def expression_of(props: dict) -> str:
    return next(m["Expression"] for m in props["Metrics"] if "Expression" in m)


@pytest.mark.parametrize("name,numerator,denominator,threshold_attr", [
    ("AbnormalCloseShare", "AbnormalCloses", "SessionsEnded", "abnormal_close_share_percent"),
    ("ProviderSwitchRate", "ProviderSwitches", "SessionsStarted", "provider_switch_rate_percent"),
])
def test_ratio_alarms_on_powertools_metrics(synth, name, numerator, denominator, threshold_attr):
    props = alarm(synth, name)
    metrics = metrics_of(props)
    assert {m["MetricName"] for m in metrics.values()} == {numerator, denominator}
    for metric in metrics.values():
        assert metric["Namespace"] == "SpeakPho"
        assert metric["Dimensions"] == [{"Name": "service", "Value": "session"}]
    ids = {m["MetricName"]: i for i, m in metrics.items()}
    expression = expression_of(props)
    assert f"100 * FILL({ids[numerator]}, 0) / {ids[denominator]}" in expression
    assert f"FILL({ids[denominator]}, 0) >= {synth.stack.settings.alarm_min_sessions}" in expression
    assert props["Threshold"] == getattr(synth.stack.settings, threshold_attr)
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props["TreatMissingData"] == "notBreaching"


def test_ratio_math_is_percent_with_minimum_volume():
    from infra.constructs.monitoring import ratio_percent

    # CloudWatch's IF/FILL evaluated by hand for one datapoint.
    def evaluate(expr: str, num: float | None, den: float | None) -> float:
        den_f, num_f = den or 0, num or 0
        minimum = float(expr.split(">=")[1].split(",")[0])
        return 100 * num_f / den_f if den_f >= minimum else 0

    expr = ratio_percent("a", "e", 5)
    assert evaluate(expr, 3, 10) == 30
    assert evaluate(expr, 3, 4) == 0        # too few sessions to judge
    assert evaluate(expr, None, 20) == 0


@pytest.mark.parametrize("provider,name", [("gemini", "ProviderFailureRateGemini"),
                                           ("openai", "ProviderFailureRateOpenAI")])
def test_a_failure_rate_alarm_per_provider(synth, provider, name):
    """ProviderFailures / ProviderConnections of that provider alone (the dimensions session.telemetry
    emits them with), quiet while the period has fewer connections than alarm_min_connections."""
    settings = synth.stack.settings
    props = alarm(synth, name)
    metrics = metrics_of(props)
    assert {m["MetricName"] for m in metrics.values()} == {"ProviderFailures", "ProviderConnections"}
    for metric in metrics.values():
        assert metric["Namespace"] == "SpeakPho"
        assert {d["Name"]: d["Value"] for d in metric["Dimensions"]} == {"service": "session", "provider": provider}
    assert all(m["MetricStat"]["Stat"] == "Sum" for m in props["Metrics"] if "MetricStat" in m)
    ids = {m["MetricName"]: i for i, m in metrics.items()}
    expression = expression_of(props)
    assert expression == (f"IF(FILL({ids['ProviderConnections']}, 0) >= {settings.alarm_min_connections}, "
                          f"100 * FILL({ids['ProviderFailures']}, 0) / {ids['ProviderConnections']}, 0)")
    assert props["Threshold"] == settings.provider_failure_rate_percent
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props["TreatMissingData"] == "notBreaching"
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (3, 2)
    assert str(settings.alarm_min_connections) in props["AlarmDescription"]


def test_failure_rate_alarms_cover_every_provider_and_only_them(synth):
    from speakpho.models import PROVIDERS

    names = [n for n in synth.stack.monitoring.alarms if n.startswith("ProviderFailureRate")]
    assert sorted(names) == sorted(f"ProviderFailureRate{p}" for p in ("Gemini", "OpenAI"))
    assert len(PROVIDERS) == len(names)


def test_a_quiet_night_cannot_page_anyone(synth):
    """Five sessions at 3 a.m., every one failing: below the minimum number of connections the
    expression yields 0, never the threshold."""
    settings = synth.stack.settings
    assert settings.alarm_min_connections > 5
    expr = expression_of(alarm(synth, "ProviderFailureRateGemini"))

    def evaluate(failures: float | None, connections: float | None) -> float:
        minimum = float(expr.split(">=")[1].split(",")[0])
        den, num = connections or 0, failures or 0
        return 100 * num / den if den >= minimum else 0

    assert evaluate(5, 5) == 0 < settings.provider_failure_rate_percent
    assert evaluate(None, None) == 0
    at_minimum = settings.alarm_min_connections
    assert evaluate(at_minimum, at_minimum) == 100 >= settings.provider_failure_rate_percent
    assert evaluate(1, at_minimum * 20) < settings.provider_failure_rate_percent


def test_failure_rate_settings_come_from_context():
    from aws_cdk import App

    from infra.settings import StackSettings

    settings = StackSettings.from_context(App(context={"alarmMinConnections": "50",
                                                       "providerFailureRatePercent": "7.5"}))
    assert (settings.alarm_min_connections, settings.provider_failure_rate_percent) == (50, 7.5)


@pytest.mark.parametrize("name,function,metric", [
    ("SweeperErrors", "sweeper", "Errors"),
    ("SweeperNotRunning", "sweeper", "Invocations"),
    ("RollupsErrors", "rollups", "Errors"),
    ("RollupsIteratorAge", "rollups", "IteratorAge"),
])
def test_background_lambda_alarms(synth, name, function, metric):
    props = alarm(synth, name)
    assert props["Namespace"] == "AWS/Lambda" and props["MetricName"] == metric
    fn = synth.logical_id(synth.stack.functions.functions[function])
    assert props["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": fn}}]


def test_iterator_age_threshold_and_dead_letters(synth):
    assert alarm(synth, "RollupsIteratorAge")["Threshold"] == synth.stack.settings.iterator_age_ms
    props = alarm(synth, "RollupsDeadLetters")
    assert props["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert refs(props["Dimensions"]) == {synth.logical_id(synth.stack.functions.rollups_failures)}


def test_every_alarm_notifies_the_deploy_time_topic(synth):
    params = synth.doc["Parameters"]
    assert params["AlarmTopicArn"]["Default"] == ""
    assert "AlarmEmail" in params
    create = synth.stack.resolve(synth.stack.monitoring.create_topic.logical_id)
    assert synth.doc["Conditions"][create] == {"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}
    topic = synth.logical_id(synth.stack.monitoring.created_topic)
    assert synth.resources[topic]["Condition"] == create
    expected = {"Fn::If": [create, {"Ref": topic}, {"Ref": "AlarmTopicArn"}]}
    alarms = synth.of_type("AWS::CloudWatch::Alarm")
    assert len(alarms) == len(synth.stack.monitoring.alarms) >= 9
    for logical_id, resource in alarms.items():
        assert resource["Properties"]["AlarmActions"] == [expected], logical_id


def test_created_topic_is_ssl_only(synth):
    policies = [p for p in synth.of_type("AWS::SNS::TopicPolicy").values()]
    assert len(policies) == 1 and policies[0]["Condition"]
    statement = policies[0]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_dashboard_shows_the_business_metrics_and_alarms(synth):
    dashboards = synth.of_type("AWS::CloudWatch::Dashboard")
    assert len(dashboards) == 1
    body = json.dumps(next(iter(dashboards.values()))["Properties"]["DashboardBody"])
    for metric in ("SessionsStarted", "SessionsEnded", "ProviderSwitches", "MinutesUsed", "Disconnects",
                   "AbnormalCloses", "StaleSessionsClosed", "IteratorAge", "ProviderFailures",
                   "ProviderConnections"):
        assert metric in body, metric
    for provider in ("gemini", "openai"):   # failures per provider, and each provider's rate
        assert f'\\"provider\\",\\"{provider}\\"' in body, provider
    assert body.count("100 * FILL(") >= 4   # two session ratios + one failure rate per provider
    for alarm_construct in synth.stack.monitoring.alarms.values():
        assert synth.logical_id(alarm_construct) in body


def test_no_unacknowledged_cdk_nag_findings(synth):
    report = synth.nag_report
    findings = [f"{v.rule_name} ({v.severity}) at {r.construct_path}"
                for v in report.violations for r in v.violating_resources]
    assert report.success and not findings, "\n".join(findings)


def test_every_acknowledgment_gives_a_reason(synth):
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    acknowledged: dict[str, str] = {}
    for construct in synth.app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == key:
                acknowledged.update({f"{construct.node.path}: {rule}": reason for rule, reason in entry.data.items()})
    assert any("AwsSolutions-" in rule for rule in acknowledged), "expected the accepted findings to be recorded"
    for rule, reason in acknowledged.items():
        assert len(reason.split()) >= 6, f"{rule}: reason too vague: {reason!r}"

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


def spec(name: str):
    from infra.constructs.monitoring import RATIO_ALARMS

    return next(s for s in RATIO_ALARMS if s.name == name)


@pytest.mark.parametrize("name,numerator,denominator,threshold_attr,min_attr", [
    ("AbnormalCloseShare", "AbnormalCloses", "SessionsEnded", "abnormal_close_share_percent", "alarm_min_sessions"),
    ("ProviderSwitchRate", "ProviderSwitches", "SessionsStarted", "provider_switch_rate_percent", "alarm_min_sessions"),
])
def test_ratio_alarms_on_powertools_metrics(synth, name, numerator, denominator, threshold_attr, min_attr):
    settings = synth.stack.settings
    props = alarm(synth, name)
    metrics = metrics_of(props)
    assert {m["MetricName"] for m in metrics.values()} == {numerator, denominator, "ActiveLearners"}
    for metric in metrics.values():
        assert metric["Namespace"] == "SpeakPho"
        assert metric["Dimensions"] == [{"Name": "service", "Value": "session"}]
    ids = {m["MetricName"]: i for i, m in metrics.items()}
    assert expression_of(props) == (
        f"IF(FILL({ids['ActiveLearners']}, 0) >= {settings.alarm_min_learners}, "
        f"IF(FILL({ids[denominator]}, 0) >= {getattr(settings, min_attr)}, "
        f"100 * FILL({ids[numerator]}, 0) / {ids[denominator]}, 0), 0)")
    assert expression_of(props) == spec(name).expression(settings)
    assert props["Threshold"] == getattr(synth.stack.settings, threshold_attr) == spec(name).threshold(settings)
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props["TreatMissingData"] == "notBreaching"
    assert f"{settings.alarm_min_learners} learners" in props["AlarmDescription"]


# (numerator, denominator, learners) sums in one period -> the expression's value
RATIO_CASES = [
    ((3, 10, 3), 30.0),
    ((3, 10, None), 0.0),       # no learner started: quiet
    ((3, 10, 2), 0.0),          # two learners alone cannot page anyone
    ((3, 4, 9), 0.0),           # too few sessions to judge
    ((None, 20, 5), 0.0),
    ((None, None, None), 0.0),  # a silent period
]


@pytest.mark.parametrize("sums,value", RATIO_CASES)
def test_ratio_math_is_percent_with_minimum_volume_and_learners(sums, value):
    from metric_math import evaluate

    from infra.constructs.monitoring import ratio_percent

    expression = ratio_percent("a", "e", 5, "l", 3)
    assert evaluate(expression, dict(zip(("a", "e", "l"), sums))) == value
    assert evaluate(ratio_percent("a", "e", 5), {"a": 3, "e": 10}) == 30.0    # without a learner guard


@pytest.mark.parametrize("provider,name", [("gemini", "ProviderFailureRateGemini"),
                                           ("openai", "ProviderFailureRateOpenAI")])
def test_a_failure_rate_alarm_per_provider(synth, provider, name):
    """ProviderFailures / ProviderConnections of that provider alone (the dimensions session.telemetry
    emits them with), quiet while the period has fewer connections than alarm_min_connections or
    fewer learners starting than alarm_min_learners (ActiveLearners: no provider dimension)."""
    settings = synth.stack.settings
    props = alarm(synth, name)
    metrics = metrics_of(props)
    assert {m["MetricName"] for m in metrics.values()} == {"ProviderFailures", "ProviderConnections", "ActiveLearners"}
    for metric in metrics.values():
        assert metric["Namespace"] == "SpeakPho"
        dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
        if metric["MetricName"] == "ActiveLearners":
            assert dimensions == {"service": "session"}
        else:
            assert dimensions == {"service": "session", "provider": provider}
    assert all(m["MetricStat"]["Stat"] == "Sum" for m in props["Metrics"] if "MetricStat" in m)
    ids = {m["MetricName"]: i for i, m in metrics.items()}
    expression = expression_of(props)
    assert expression == (f"IF(FILL({ids['ActiveLearners']}, 0) >= {settings.alarm_min_learners}, "
                          f"IF(FILL({ids['ProviderConnections']}, 0) >= {settings.alarm_min_connections}, "
                          f"100 * FILL({ids['ProviderFailures']}, 0) / {ids['ProviderConnections']}, 0), 0)")
    assert props["Threshold"] == settings.provider_failure_rate_percent
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props["TreatMissingData"] == "notBreaching"
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (3, 2)
    assert str(settings.alarm_min_connections) in props["AlarmDescription"]


def test_every_ratio_alarm_has_its_spec_and_the_learner_guard(synth):
    from infra.constructs.monitoring import RATIO_ALARMS

    ratio_names = {n for n in synth.stack.monitoring.alarms
                   if n in ("AbnormalCloseShare", "ProviderSwitchRate") or n.startswith("ProviderFailureRate")}
    assert ratio_names == {s.name for s in RATIO_ALARMS}
    for ratio in RATIO_ALARMS:
        assert expression_of(alarm(synth, ratio.name)) == ratio.expression(synth.stack.settings)
        assert expression_of(alarm(synth, ratio.name)).startswith("IF(FILL(activeLearners")


def test_failure_rate_alarms_cover_every_provider_and_only_them(synth):
    from speakpho.models import PROVIDERS

    names = [n for n in synth.stack.monitoring.alarms if n.startswith("ProviderFailureRate")]
    assert sorted(names) == sorted(f"ProviderFailureRate{p}" for p in ("Gemini", "OpenAI"))
    assert len(PROVIDERS) == len(names)


def test_a_quiet_night_cannot_page_anyone(synth):
    """Five sessions at 3 a.m., every one failing: below the minimum number of connections the
    expression yields 0, never the threshold; and below the minimum of learners too."""
    from metric_math import evaluate

    settings = synth.stack.settings
    assert settings.alarm_min_connections > 5 and settings.alarm_min_learners >= 3
    props = alarm(synth, "ProviderFailureRateGemini")
    ids = {m["MetricName"]: i for i, m in metrics_of(props).items()}

    def rate(failures, connections, learners):
        return evaluate(expression_of(props), {ids["ProviderFailures"]: failures,
                                               ids["ProviderConnections"]: connections,
                                               ids["ActiveLearners"]: learners})

    enough = settings.alarm_min_learners
    assert rate(5, 5, enough) == 0 < settings.provider_failure_rate_percent
    assert rate(None, None, None) == 0
    at_minimum = settings.alarm_min_connections
    assert rate(at_minimum, at_minimum, enough) == 100 >= settings.provider_failure_rate_percent
    assert rate(at_minimum, at_minimum, enough - 1) == 0            # not enough learners to judge
    assert rate(1, at_minimum * 20, enough) < settings.provider_failure_rate_percent


def test_failure_rate_settings_come_from_context():
    from aws_cdk import App

    from infra.settings import StackSettings

    settings = StackSettings.from_context(App(context={"alarmMinConnections": "50", "alarmMinLearners": "4",
                                                       "providerFailureRatePercent": "7.5"}))
    assert (settings.alarm_min_connections, settings.provider_failure_rate_percent) == (50, 7.5)
    assert settings.alarm_min_learners == 4 and StackSettings().alarm_min_learners == 3


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
                   "ProviderConnections", "ActiveLearners"):
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

"""CloudWatch dashboard and alarms on the Powertools business metrics (namespace SpeakPho,
dimension `service` as Powertools EMF writes it) and on the background Lambdas.

Alarms notify one SNS topic: the `AlarmTopicArn` stack parameter when given at deploy time
(default: context alarmTopicArn), otherwise a topic this stack creates (optionally with an
e-mail subscription, parameter `AlarmEmail`).
"""
from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnCondition, CfnParameter, CfnResource, Duration, Fn, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.catalog import ensure_import_paths
from infra.constructs.functions import METRICS_NAMESPACE
from infra.nag import acknowledge
from infra.settings import StackSettings

ensure_import_paths()
from speakpho.models import PROVIDERS  # noqa: E402

SESSION_SERVICE = "session"
SWEEPER_SERVICE = "sweeper"
PROVIDER_NAMES = {"gemini": "Gemini", "openai": "OpenAI"}


def business_metric(name: str, service: str, period: Duration, label: str | None = None,
                    dimensions: dict[str, str] | None = None) -> cw.Metric:
    """A Powertools metric: dimension `service`, plus e.g. `provider` for a metric emitted
    with its own dimension (session.telemetry's single_metric: dimensions [service, provider])."""
    return cw.Metric(namespace=METRICS_NAMESPACE, metric_name=name,
                     dimensions_map={"service": service, **(dimensions or {})},
                     statistic="Sum", period=period, label=label or name)


def alarm_name_part(provider: str) -> str:
    return PROVIDER_NAMES.get(provider, provider.title())


def ratio_percent(numerator: str, denominator: str, min_denominator: int, learners: str | None = None,
                  min_learners: int = 0) -> str:
    """Metric math: 100 * numerator / denominator, 0 while the denominator is below the minimum
    volume; with `learners` (the id of ActiveLearners), also 0 while fewer distinct learners
    than `min_learners` started in the period. Nested IFs, no AND: IF is all it needs."""
    ratio = (f"IF(FILL({denominator}, 0) >= {min_denominator}, "
             f"100 * FILL({numerator}, 0) / {denominator}, 0)")
    return ratio if learners is None else f"IF(FILL({learners}, 0) >= {min_learners}, {ratio}, 0)"


# Distinct learners in a period: session.telemetry emits ActiveLearners = 1 at a learner's first
# start of each UTC hour (the start limits' hour counter on the profile row says which one), so
# one learner adds at most 1 to any period, whatever they send. Every ratio alarm is 0 below
# alarm_min_learners of them (docs/security.md, "One learner cannot trip an alarm").
LEARNERS_METRIC = "ActiveLearners"


@dataclass(frozen=True)
class RatioAlarm:
    """A ratio alarm as data: its metrics, the settings holding its minimum and threshold, and
    the math expression the template carries (tests evaluate that same string)."""
    name: str
    numerator: str
    denominator: str
    min_setting: str            # StackSettings field: the denominator's minimum in a period
    threshold_setting: str      # StackSettings field: the percent that alarms
    provider: str | None = None

    def ids(self) -> dict[str, str]:
        """Metric-math id -> metric name; ids are per provider (the dashboard graphs the
        providers' rates together)."""
        suffix = f"_{self.provider}" if self.provider else ""
        return {f"{name[0].lower()}{name[1:]}{suffix}": name
                for name in (self.numerator, self.denominator, LEARNERS_METRIC)}

    def expression(self, settings: StackSettings) -> str:
        num, den, learners = self.ids()
        return ratio_percent(num, den, getattr(settings, self.min_setting), learners, settings.alarm_min_learners)

    def threshold(self, settings: StackSettings) -> float:
        return getattr(settings, self.threshold_setting)


RATIO_ALARMS = (
    RatioAlarm("AbnormalCloseShare", "AbnormalCloses", "SessionsEnded", "alarm_min_sessions",
               "abnormal_close_share_percent"),
    RatioAlarm("ProviderSwitchRate", "ProviderSwitches", "SessionsStarted", "alarm_min_sessions",
               "provider_switch_rate_percent"),
    *(RatioAlarm(f"ProviderFailureRate{PROVIDER_NAMES.get(p, p.title())}", "ProviderFailures", "ProviderConnections",
                 "alarm_min_connections", "provider_failure_rate_percent", provider=p) for p in PROVIDERS),
)


class Monitoring(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StackSettings,
                 sweeper: lambda_.Function, rollups: lambda_.Function, rollups_failures: sqs.IQueue,
                 hangup_dead_letters: sqs.IQueue, http_functions: dict[str, lambda_.IFunction], rest_api: apigw.RestApi) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings
        period = Duration.minutes(settings.alarm_period_minutes)
        self.topic_arn = self._alarm_topic(settings)
        action = cw_actions.SnsAction(sns.Topic.from_topic_arn(self, "AlarmTarget", self.topic_arn))

        def metric(name: str, service: str = SESSION_SERVICE, label: str | None = None,
                   dimensions: dict[str, str] | None = None) -> cw.Metric:
            return business_metric(name, service, period, label, dimensions)

        def ratio(spec: RatioAlarm, label: str) -> cw.MathExpression:
            # ActiveLearners has no provider dimension: it counts learners, not connections.
            return cw.MathExpression(
                expression=spec.expression(settings), period=period, label=label,
                using_metrics={i: metric(name, dimensions={"provider": spec.provider}
                                         if spec.provider and name != LEARNERS_METRIC else None)
                               for i, name in spec.ids().items()})

        specs = {spec.name: spec for spec in RATIO_ALARMS}
        self.abnormal_close_share = ratio(specs["AbnormalCloseShare"], "Abnormal closes (1006/1011) % of ended sessions")
        self.switch_rate = ratio(specs["ProviderSwitchRate"], "Provider switches % of started sessions")
        # Per provider: failed connection segments % of connection segments (session.telemetry
        # counts at most 3 of each per ended session), quiet below alarm_min_connections in a period.
        self.provider_failure_rates: dict[str, cw.MathExpression] = {
            provider: ratio(specs[f"ProviderFailureRate{alarm_name_part(provider)}"],
                            f"{alarm_name_part(provider)} failed connections %")
            for provider in PROVIDERS}

        self.alarms: dict[str, cw.Alarm] = {}
        learners = f" and {settings.alarm_min_learners} learners starting in the period"
        self._alarm("AbnormalCloseShare", self.abnormal_close_share, settings.abnormal_close_share_percent,
                    f"More than {settings.abnormal_close_share_percent:g}% of ended sessions closed abnormally "
                    f"(WebSocket 1006/1011), with at least {settings.alarm_min_sessions} sessions{learners}.",
                    evaluation_periods=3, datapoints=2)
        self._alarm("ProviderSwitchRate", self.switch_rate, settings.provider_switch_rate_percent,
                    f"More than {settings.provider_switch_rate_percent:g}% of started sessions switched provider "
                    f"(Gemini failing over to OpenAI), with at least {settings.alarm_min_sessions} "
                    f"sessions{learners}.", evaluation_periods=3, datapoints=2)
        for provider, rate in self.provider_failure_rates.items():
            self._alarm(f"ProviderFailureRate{alarm_name_part(provider)}", rate, settings.provider_failure_rate_percent,
                        f"More than {settings.provider_failure_rate_percent:g}% of {alarm_name_part(provider)} "
                        f"connections failed (provider- or network-side close), with at least "
                        f"{settings.alarm_min_connections} connections{learners}.",
                        evaluation_periods=3, datapoints=2)
        self._alarm("SweeperErrors", sweeper.metric_errors(period=period, statistic="Sum"), 1,
                    "The stale-session sweeper failed: stale sessions are not being closed.")
        self._alarm("SweeperNotRunning", sweeper.metric_invocations(period=Duration.minutes(10), statistic="Sum"), 1,
                    "The stale-session sweeper did not run for 10 minutes.",
                    comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
                    missing=cw.TreatMissingData.BREACHING)
        self._alarm("RollupsErrors", rollups.metric_errors(period=period, statistic="Sum"), 1,
                    "The sessions-stream rollups processor failed; admin stats may lag.")
        self._alarm("RollupsIteratorAge",
                    rollups.metric("IteratorAge", period=period, statistic="Maximum"), settings.iterator_age_ms,
                    f"The rollups processor is more than {settings.iterator_age_ms} ms behind the sessions stream.",
                    evaluation_periods=2, datapoints=2)
        self._alarm("RollupsDeadLetters",
                    rollups_failures.metric_approximate_number_of_messages_visible(period=period, statistic="Maximum"),
                    1, "Session stream records failed every retry and were sent to the rollups failure queue.")
        self._alarm("HangupDeadLetters",
                    hangup_dead_letters.metric_approximate_number_of_messages_visible(period=period,
                                                                                      statistic="Maximum"),
                    1, "A scheduled hangup of an OpenAI call failed: the call may run to OpenAI's 60-minute cap "
                       "(docs/deploy.md, Provider keys and hangups).")
        for alarm in self.alarms.values():
            alarm.add_alarm_action(action)

        self.dashboard = self._dashboard(metric, sweeper, rollups, rollups_failures, http_functions, rest_api)

    def _alarm_topic(self, settings: StackSettings) -> str:
        stack = Stack.of(self)
        topic_arn = CfnParameter(
            stack, "AlarmTopicArn", type="String", default=settings.alarm_topic_arn,
            allowed_pattern=r"^$|^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$",
            description="SNS topic for the alarms; leave empty to let the stack create one.")
        email = CfnParameter(
            stack, "AlarmEmail", type="String", default=settings.alarm_email,
            description="Optional e-mail subscribed to the topic the stack creates (ignored with AlarmTopicArn).")
        self.create_topic = CfnCondition(self, "CreateAlarmTopic",
                                         expression=Fn.condition_equals(topic_arn.value_as_string, ""))
        subscribe = CfnCondition(self, "SubscribeAlarmEmail", expression=Fn.condition_and(
            self.create_topic, Fn.condition_not(Fn.condition_equals(email.value_as_string, ""))))
        self.created_topic = sns.Topic(self, "AlarmTopic", display_name="Speak Pho alarms", enforce_ssl=True)
        for child in self.created_topic.node.find_all():
            if isinstance(child, CfnResource):
                child.cfn_options.condition = self.create_topic
        subscription = sns.CfnSubscription(self, "AlarmEmailSubscription", protocol="email",
                                           endpoint=email.value_as_string, topic_arn=self.created_topic.topic_arn)
        subscription.cfn_options.condition = subscribe
        return Fn.condition_if(self.create_topic.logical_id, self.created_topic.topic_arn,
                               topic_arn.value_as_string).to_string()

    def _alarm(self, name: str, metric: cw.IMetric, threshold: float, description: str, *,
               evaluation_periods: int = 1, datapoints: int = 1,
               comparison: cw.ComparisonOperator = cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
               missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING) -> None:
        self.alarms[name] = cw.Alarm(
            self, name, metric=metric, threshold=threshold, alarm_description=description,
            evaluation_periods=evaluation_periods, datapoints_to_alarm=datapoints,
            comparison_operator=comparison, treat_missing_data=missing)
        acknowledge(self.alarms[name], "CloudFormation-Validate::F3033",
                    "AlarmActions is Fn::If(CreateAlarmTopic, created topic, AlarmTopicArn): the empty branch "
                    "is never taken, the validator evaluates both.")

    def _dashboard(self, metric, sweeper, rollups, rollups_failures, http_functions, rest_api) -> cw.Dashboard:
        width = 8
        dashboard = cw.Dashboard(self, "Dashboard", default_interval=Duration.hours(24))
        dashboard.add_widgets(cw.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms.values()), width=24))
        dashboard.add_widgets(
            cw.GraphWidget(title="Sessions", width=width,
                           left=[metric("SessionsStarted", label="started"), metric("SessionsEnded", label="ended"),
                                 metric(LEARNERS_METRIC, label="learners (first start of their hour)")]),
            cw.GraphWidget(title="Abnormal closes (%)", width=width, left=[self.abnormal_close_share],
                           left_annotations=[cw.HorizontalAnnotation(
                               value=self.settings.abnormal_close_share_percent, label="alarm")]),
            cw.GraphWidget(title="Provider switch rate (%)", width=width, left=[self.switch_rate],
                           left_annotations=[cw.HorizontalAnnotation(
                               value=self.settings.provider_switch_rate_percent, label="alarm")]),
        )
        dashboard.add_widgets(
            cw.GraphWidget(title="Disconnects", width=width,
                           left=[metric("Disconnects", label="non-1000 closes"),
                                 metric("AbnormalCloses", label="1006/1011"),
                                 metric("ProviderSwitches", label="provider switches")]),
            cw.GraphWidget(title="Minutes used", width=width, left=[metric("MinutesUsed")]),
            cw.GraphWidget(title="Stale sessions closed (sweeper)", width=width,
                           left=[metric("StaleSessionsClosed", service=SWEEPER_SERVICE)],
                           right=[sweeper.metric_errors(statistic="Sum", label="sweeper errors")]),
        )
        dashboard.add_widgets(
            cw.GraphWidget(title="Provider connections and failures", width=width,
                           left=[metric(name, label=f"{alarm_name_part(p)} {word}", dimensions={"provider": p})
                                 for p in PROVIDERS
                                 for name, word in (("ProviderConnections", "connections"),
                                                    ("ProviderFailures", "failures"))]),
            cw.GraphWidget(title="Provider failure rate (%)", width=width,
                           left=list(self.provider_failure_rates.values()),
                           left_annotations=[cw.HorizontalAnnotation(
                               value=self.settings.provider_failure_rate_percent, label="alarm")]),
            cw.GraphWidget(title="Provider failures", width=width, stacked=True,
                           left=[metric("ProviderFailures", label=alarm_name_part(p), dimensions={"provider": p})
                                 for p in PROVIDERS]),
        )
        dashboard.add_widgets(
            cw.GraphWidget(title="API requests and errors", width=width,
                           left=[rest_api.metric_count(label="requests")],
                           right=[rest_api.metric_client_error(label="4XX"),
                                  rest_api.metric_server_error(label="5XX")]),
            cw.GraphWidget(title="API latency p90 (ms)", width=width,
                           left=[rest_api.metric_latency(statistic="p90", label="latency"),
                                 rest_api.metric_integration_latency(statistic="p90", label="integration")]),
            cw.GraphWidget(title="Lambda errors", width=width,
                           left=[fn.metric_errors(statistic="Sum", label=name)
                                 for name, fn in {**http_functions, "sweeper": sweeper, "rollups": rollups}.items()]),
        )
        dashboard.add_widgets(
            cw.GraphWidget(title="Lambda duration p90 (ms)", width=width,
                           left=[fn.metric_duration(statistic="p90", label=name)
                                 for name, fn in http_functions.items()]),
            cw.GraphWidget(title="Rollups iterator age (ms)", width=width,
                           left=[rollups.metric("IteratorAge", statistic="Maximum", label="iterator age")]),
            cw.GraphWidget(title="Rollups failure queue", width=width,
                           left=[rollups_failures.metric_approximate_number_of_messages_visible(label="messages")]),
        )
        return dashboard

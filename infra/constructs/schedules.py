"""EventBridge schedules: the stale-session sweeper and the FSRS optimiser."""
from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct


class SweeperSchedule(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, sweeper: lambda_.IFunction,
                 every_minutes: int = 2) -> None:
        super().__init__(scope, construct_id)
        self.rule = events.Rule(
            self, "Rule",
            description="Close sessions whose heartbeats stopped (STALE_AFTER_SECONDS)",
            schedule=events.Schedule.rate(Duration.minutes(every_minutes)),
            targets=[targets.LambdaFunction(
                sweeper,
                # The next run is minutes away: a missed run is not worth retrying late.
                retry_attempts=0,
                max_event_age=Duration.minutes(every_minutes),
            )],
        )


class OptimizerSchedule(Construct):
    """Runs the FSRS optimiser (learning/optimizer.py) every `every_minutes`: each run fits the
    learners flagged since (one Query of a sparse index when none is)."""

    def __init__(self, scope: Construct, construct_id: str, *, optimizer: lambda_.IFunction,
                 every_minutes: int = 15) -> None:
        super().__init__(scope, construct_id)
        self.rule = events.Rule(
            self, "Rule",
            description="Fit the FSRS parameters of the learners flagged for it",
            schedule=events.Schedule.rate(Duration.minutes(every_minutes)),
            targets=[targets.LambdaFunction(optimizer, retry_attempts=0,
                                            max_event_age=Duration.minutes(every_minutes))],
        )

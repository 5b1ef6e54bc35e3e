"""How the stack accepts a cdk-nag (AwsSolutions) or CloudFormation-validation finding.

cdk-nag 3 runs as a policy-validation plugin (app.py: Validations.of(app).add_plugins(...)).
Each construct in infra/constructs/ acknowledges the findings on the resources it creates,
on the narrowest construct that carries them and with the reason they are acceptable. Every
finding is listed explicitly (no prefix matching): a new finding fails the synth and the
infra tests.

This module only holds the helpers; it imports no construct and no stack.
"""
from __future__ import annotations

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def logical_ref(scope: IConstruct, arn: str) -> str:
    """`<LogicalId.Arn>`, as cdk-nag writes a GetAtt in a finding id, for an ARN token of
    a resource in scope's stack (a table's `table_arn`, a bucket's `bucket_arn`)."""
    logical_id, attribute = Stack.of(scope).resolve(arn)["Fn::GetAtt"]
    return f"<{logical_id}.{attribute}>"

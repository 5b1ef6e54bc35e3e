"""The learner pool's sign-up trigger: the signup function (infra/constructs/functions.py) runs
before each sign-up and after each confirmation, with the Cognito actions of
infra/identity_access.py on that pool only.

The Cognito grant is a policy of its own, not the role's default policy: the function waits
for its default policy, the pool refers to the function (its triggers), and this policy to the
pool, so in the default policy the three would form a cycle.
"""
from __future__ import annotations

from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.identity_access import IDENTITY_ACCESS

KEY = "signup"


class SignUpTrigger(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, user_pool: cognito.UserPool,
                 function: lambda_.Function) -> None:
        super().__init__(scope, construct_id)
        user_pool.add_trigger(cognito.UserPoolOperation.PRE_SIGN_UP, function)
        user_pool.add_trigger(cognito.UserPoolOperation.POST_CONFIRMATION, function)
        self.policy = iam.Policy(self, "PoolAccess", statements=[iam.PolicyStatement(
            actions=[f"cognito-idp:{action}" for action in IDENTITY_ACCESS[KEY]],
            resources=[user_pool.user_pool_arn])])
        self.policy.attach_to_role(function.role)

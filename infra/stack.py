"""The Speak Pho Real stack: composes one construct per concern."""
from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, CfnOutput, Stack
from constructs import Construct

from infra.constructs.conversation import TRANSCRIPT_STORED
from infra.constructs.erasure import ErasureJobs
from infra.constructs.api import Api
from infra.constructs.auth import Auth
from infra.constructs.functions import Functions
from infra.constructs.layer import CommonLayer
from infra.constructs.monitoring import Monitoring
from infra.constructs.providers import ProviderAccess
from infra.constructs.pool_firewall import PoolFirewall
from infra.constructs.schedules import OptimizerSchedule, SweeperSchedule
from infra.constructs.signup import SignUpTrigger
from infra.constructs.stream_consumer import StreamConsumer
from infra.constructs.tables import DataTables
from infra.constructs.waf import ApiFirewall
from infra.constructs.web import WEB_DIR, WebHosting
from infra.nag import acknowledge
from infra.settings import StackSettings


class SpeakPhoStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StackSettings | None = None,
                 web_dir: Path = WEB_DIR, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings = settings or StackSettings.from_context(self)

        self.tables = DataTables(self, "Tables")
        self.layer = CommonLayer(self, "CommonLayer", dependencies=settings.layer_dependencies)
        self.web = WebHosting(self, "Web", web_dir=web_dir)
        self.auth = Auth(self, "Auth", web_url=self.web.url, domain_prefix=settings.auth_domain_prefix,
                         extra_urls=settings.callback_urls, ses_identity=settings.ses_identity,
                         threat_protection=settings.learner_threat_protection)
        self.providers = ProviderAccess(self, "Providers", settings=settings)
        self.functions = Functions(self, "Functions", tables=self.tables, layer=self.layer.layer,
                                   settings=settings, web_origin=self.web.url, admin_issuer=self.auth.admin_issuer,
                                   hangup_dead_letters=self.providers.dead_letters)
        self.providers.allow_invoke(self.functions.hangup)
        self.erasure_jobs = ErasureJobs(self, "ErasureJobs", worker=self.functions.erasure,
                                        senders=[self.functions.functions["learning"]])
        self.conversation = StreamConsumer(self, "ConversationReviews", consumer=self.functions.conversation,
                                           table=self.tables["sessions"], what="conversation",
                                           filters=[TRANSCRIPT_STORED])
        # The corrections stream feeds the common-mistakes rollups (admin/mistakes_stream.py).
        self.mistakes = StreamConsumer(self, "MistakesStream", consumer=self.functions.mistakes,
                                       table=self.tables["corrections"], what="mistakes")
        self.signup = SignUpTrigger(self, "SignUp", user_pool=self.auth.user_pool, function=self.functions.signup)
        for key, function in self.functions.functions.items():
            self.providers.attach(key, function)
        self.api = Api(self, "Api", functions=self.functions.by_area,
                       user_pools=[self.auth.user_pool, self.auth.admin_pool], web_origin=self.web.url,
                       settings=settings)
        self.firewall = (ApiFirewall(self, "Firewall", rest_api=self.api.rest_api, stage_name=settings.stage_name,
                                     token_limit=settings.waf_token_limit,
                                     ip_limit=settings.waf_ip_limit) if settings.waf else None)
        self.pool_firewall = (PoolFirewall(self, "PoolFirewall", user_pool=self.auth.user_pool,
                                           sign_up_limit=settings.waf_signup_limit) if settings.waf else None)
        self.schedule = SweeperSchedule(self, "SweeperSchedule", sweeper=self.functions.sweeper,
                                        every_minutes=settings.sweep_every_minutes)
        self.optimizer_schedule = OptimizerSchedule(self, "OptimizerSchedule", optimizer=self.functions.optimizer)
        self.monitoring = Monitoring(self, "Monitoring", settings=settings, sweeper=self.functions.sweeper,
                                     rollups=self.functions.rollups,
                                     rollups_failures=self.functions.rollups_failures,
                                     hangup_dead_letters=self.providers.dead_letters,
                                     http_functions=self.functions.by_area, rest_api=self.api.rest_api)
        self.web_config = {
            "apiBase": self.api.base_url,
            "auth": {
                "mode": "cognito",
                "region": Aws.REGION,
                "userPoolId": self.auth.user_pool.user_pool_id,
                "clientId": self.auth.client.user_pool_client_id,
                "domain": self.auth.hosted_ui_url,
                "redirectUri": f"{self.web.url}/",
                "scopes": ["openid", "email", "profile"],
            },
            # The admin page signs in to the admin user pool (MFA required); /api/admin/* refuses
            # tokens of the learner pool.
            "adminAuth": {
                "mode": "cognito",
                "region": Aws.REGION,
                "userPoolId": self.auth.admin_pool.user_pool_id,
                "clientId": self.auth.admin_client.user_pool_client_id,
                "domain": self.auth.admin_hosted_ui_url,
                "redirectUri": f"{self.web.url}/admin",
                "scopes": ["openid", "email", "profile"],
            },
        }
        self.web.deploy(self.web_config)

        CfnOutput(self, "ApiUrl", value=self.api.base_url, description="API base URL (append /api/...)")
        CfnOutput(self, "WebUrl", value=self.web.url, description="Web app (CloudFront)")
        CfnOutput(self, "UserPoolId", value=self.auth.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=self.auth.client.user_pool_client_id)
        CfnOutput(self, "AuthDomain", value=self.auth.hosted_ui_url, description="Cognito hosted UI")
        CfnOutput(self, "AdminUserPoolId", value=self.auth.admin_pool.user_pool_id,
                  description="Admins (MFA required): create admins here")
        CfnOutput(self, "AdminUserPoolClientId", value=self.auth.admin_client.user_pool_client_id)
        CfnOutput(self, "AdminAuthDomain", value=self.auth.admin_hosted_ui_url, description="Admin hosted UI")
        CfnOutput(self, "AlarmTopic", value=self.monitoring.topic_arn, description="SNS topic of the alarms")
        acknowledge(self, "CloudFormation-Validate::W1001",
                    "Output AlarmTopic refers to the conditional topic only inside Fn::If on the same condition.")
        CfnOutput(self, "DashboardName", value=self.monitoring.dashboard.dashboard_name)

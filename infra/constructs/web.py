"""The web app (web/): a private S3 bucket behind CloudFront (origin access control), and
its deployment with a config.json written at deploy time (API URL, Cognito settings).

web/ is written separately; when it does not exist at synth time the site bucket and the
distribution are still created (Cognito callbacks and CORS point at them) and only
config.json is deployed.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import jsii
from aws_cdk import (
    AssetHashType,
    BundlingOptions,
    DockerImage,
    Duration,
    ILocalBundling,
    RemovalPolicy,
    Stack,
)
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra.catalog import ROOT
from infra.nag import acknowledge, logical_ref

WEB_DIR = ROOT / "web"
# The local runner serves /vendor/chart.umd.js from node_modules; the deployed site carries a copy.
VENDOR_FILES = {"vendor/chart.umd.js": ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.js"}
CONFIG_KEY = "config.json"   # written by the deployment, never taken from web/
BUCKET_DEPLOYMENT_PREFIX = "Custom::CDKBucketDeployment"
DEFAULT_QUALIFIER = "hnb659fds"


def site_files(web_dir: Path) -> list[str]:
    """Relative paths of the files deployed from web/ (no dotfiles, caches or config.json)."""
    if not web_dir.is_dir():
        return []
    found = []
    for path in web_dir.rglob("*"):
        rel = path.relative_to(web_dir)
        if (path.is_file() and not any(p.startswith(".") for p in rel.parts)
                and "__pycache__" not in rel.parts and rel.as_posix() != CONFIG_KEY):
            found.append(rel.as_posix())
    return sorted(found)


def route_map(files: list[str]) -> dict[str, str]:
    """Extension-less page paths -> object keys, as the local runner resolves them:
    the file itself, else <path>/index.html, else <path>.html."""
    present = {"/" + f for f in files}
    routes: dict[str, str] = {}
    for f in files:
        if f.endswith("/index.html"):
            page = "/" + f[: -len("/index.html")]
            routes.setdefault(page, "/" + f)
            routes.setdefault(page + "/", "/" + f)
    for f in files:
        if f.endswith(".html"):
            routes.setdefault("/" + f[: -len(".html")], "/" + f)
    return {path: key for path, key in sorted(routes.items()) if path not in present}


def rewrite_function_code(routes: dict[str, str]) -> str:
    return ("var ROUTES = " + json.dumps(routes, sort_keys=True) + ";\n"
            "function handler(event) {\n"
            "  var request = event.request;\n"
            "  var target = ROUTES[request.uri];\n"
            "  if (target) { request.uri = target; }\n"
            "  return request;\n"
            "}\n")


@jsii.implements(ILocalBundling)
class LocalSiteBundling:
    """Copies web/ plus the vendored browser libraries; no Docker."""

    def __init__(self, web_dir: Path, files: list[str]) -> None:
        self.web_dir = web_dir
        self.files = files

    def try_bundle(self, output_dir: str, options=None) -> bool:  # noqa: ARG002
        out = Path(output_dir)
        for rel in self.files:
            dest = out / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(self.web_dir / rel, dest)
        for rel, source in VENDOR_FILES.items():
            if source.is_file():
                dest = out / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest)
        return True


def site_hash(web_dir: Path, files: list[str]) -> str:
    digest = hashlib.sha256(b"site-v1")
    for rel in files:
        digest.update(rel.encode() + b"\0" + (web_dir / rel).read_bytes())
    for rel, source in sorted(VENDOR_FILES.items()):
        if source.is_file():
            digest.update(rel.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


class WebHosting(Construct):
    """Bucket + CloudFront; `url` is the site's https origin (no trailing slash)."""

    def __init__(self, scope: Construct, construct_id: str, *, web_dir: Path = WEB_DIR) -> None:
        super().__init__(scope, construct_id)
        self.web_dir = web_dir
        self.files = site_files(web_dir)
        self.logs_bucket = s3.Bucket(
            self, "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            # CloudFront standard logs are delivered with ACLs.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.bucket = s3.Bucket(
            self, "Site",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=False,
            server_access_logs_bucket=self.logs_bucket,
            server_access_logs_prefix="s3/",
            removal_policy=RemovalPolicy.RETAIN,
        )
        routes = route_map(self.files)
        associations = None
        if routes:
            self.rewrite = cloudfront.Function(
                self, "PageRoutes",
                code=cloudfront.FunctionCode.from_inline(rewrite_function_code(routes)),
                runtime=cloudfront.FunctionRuntime.JS_2_0,
                comment="/learning -> its page, as the local runner serves it")
            associations = [cloudfront.FunctionAssociation(
                function=self.rewrite, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST)]
        origin = origins.S3BucketOrigin.with_origin_access_control(self.bucket)
        self.distribution = cloudfront.Distribution(
            self, "Distribution",
            comment="Speak Pho Real web app",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
                function_associations=associations,
            ),
            additional_behaviors={
                # Rewritten on every deploy: never served stale.
                "/" + CONFIG_KEY: cloudfront.BehaviorOptions(
                    origin=origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    response_headers_policy=cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
                ),
            },
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=self.logs_bucket,
            log_file_prefix="cloudfront/",
        )
        self.url = f"https://{self.distribution.distribution_domain_name}"
        acknowledge(self.distribution, "AwsSolutions-CFR1",
                    "Learners may practise from anywhere: no geo restriction by design.")
        acknowledge(self.distribution, "AwsSolutions-CFR2",
                    "Static files only; the API is behind Cognito and throttling. A WAF web ACL (us-east-1) can be "
                    "attached when needed.")
        acknowledge(self.distribution, "AwsSolutions-CFR4",
                    "The default *.cloudfront.net certificate fixes the viewer TLS policy; a custom domain with an "
                    "ACM certificate and TLSv1.2_2021 is the fix when the app gets its own domain.")

    def deploy(self, config: dict) -> s3deploy.BucketDeployment:
        """Upload web/ (if any) and config.json (tokens resolved at deploy time)."""
        sources = []
        if self.files:
            sources.append(s3deploy.Source.asset(
                str(self.web_dir),
                asset_hash_type=AssetHashType.CUSTOM,
                asset_hash=site_hash(self.web_dir, self.files),
                bundling=BundlingOptions(
                    image=DockerImage.from_registry("public.ecr.aws/docker/library/alpine"),  # never pulled
                    local=LocalSiteBundling(self.web_dir, self.files),
                ),
            ))
        sources.append(s3deploy.Source.json_data(CONFIG_KEY, config))
        self.deployment = s3deploy.BucketDeployment(
            self, "Deploy",
            sources=sources,
            destination_bucket=self.bucket,
            distribution=self.distribution,
            distribution_paths=["/*"],
            prune=True,
            memory_limit=512,
            # Browsers revalidate (pages are not fingerprinted); CloudFront is invalidated on deploy.
            cache_control=[s3deploy.CacheControl.from_string("public, max-age=0, s-maxage=86400, must-revalidate")],
        )
        self._acknowledge_deployment_handler()
        return self.deployment

    def _acknowledge_deployment_handler(self) -> None:
        """The singleton Lambda behind s3deploy.BucketDeployment (CDK-owned code and policy), which
        CDK creates at the stack's top level for the deployment above."""
        stack = Stack.of(self)
        provider = next((c for c in stack.node.children if c.node.id.startswith(BUCKET_DEPLOYMENT_PREFIX)), None)
        if provider is None:
            return
        qualifier = stack.node.try_get_context("@aws-cdk/core:bootstrapQualifier") or DEFAULT_QUALIFIER
        acknowledge(provider, "AwsSolutions-L1",
                    "CDK's BucketDeployment handler: its runtime is chosen by aws-cdk-lib and updated with it.")
        acknowledge(provider, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                              "AWSLambdaBasicExecutionRole]",
                    "CDK's BucketDeployment handler role: logging only, as created by aws-cdk-lib.")
        reasons = {
            "Action::s3:GetObject*": "reads the web asset zip from the CDK assets bucket",
            "Action::s3:GetBucket*": "reads bucket settings of the assets and site buckets",
            "Action::s3:List*": "lists the site bucket to prune files no longer in web/",
            "Action::s3:DeleteObject*": "prunes files no longer in web/ from the site bucket",
            "Action::s3:Abort*": "aborts failed multipart uploads to the site bucket",
            f"Resource::arn:<AWS::Partition>:s3:::cdk-{qualifier}-assets-<AWS::AccountId>-<AWS::Region>/*":
                "the CDK bootstrap assets bucket holding this stack's web asset",
            f"Resource::{logical_ref(self, self.bucket.bucket_arn)}/*": "objects of the site bucket it deploys to",
            "Resource::*": "cloudfront:CreateInvalidation/GetInvalidation have no resource-level scoping here",
        }
        for finding, reason in reasons.items():
            acknowledge(provider, f"AwsSolutions-IAM5[{finding}]", f"CDK's BucketDeployment handler {reason}.")

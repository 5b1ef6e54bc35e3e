"""One synthesis of the real app (app.build_app, cdk.json context, cdk-nag plugin) per test
process, shared by every infra test module.

The layer is assembled with layerDependencies=none (our package only): the tests never run
pip or touch the network. CDK's built-in CloudFormation template validation (~30 s of WASM)
is left to `npx cdk synth`; cdk-nag still runs inside this synthesis.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from infra_helpers import cdk_json_context

# Read by the jsii node process, which starts on the first aws_cdk call.
os.environ["CDK_VALIDATION"] = "false"

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Synth:
    app: object
    stack: object
    template: object        # aws_cdk.assertions.Template
    doc: dict               # the template as JSON
    outdir: Path
    nag_report: object      # PolicyValidationPluginReport of AwsSolutionsChecks

    @property
    def resources(self) -> dict:
        return self.doc["Resources"]

    def logical_id(self, construct) -> str:
        """Logical id of an L2 construct's CloudFormation resource (or of an L1 itself)."""
        element = getattr(construct.node, "default_child", None) or construct
        return self.stack.resolve(element.logical_id)

    def of_type(self, cfn_type: str) -> dict:
        return {k: r for k, r in self.resources.items() if r["Type"] == cfn_type}

    def asset_dir(self, logical_id: str) -> Path:
        return self.outdir / self.resources[logical_id]["Metadata"]["aws:asset:path"]


@pytest.fixture(scope="session")
def synth(tmp_path_factory) -> Synth:
    from aws_cdk import App, assertions
    from cdk_nag import AwsSolutionsChecks

    import app as cdk_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    # As the CLI passes it, plus asset paths in resource metadata (to inspect the assets).
    context = {**cdk_json_context(), "layerDependencies": "none", "aws:cdk:enable-asset-metadata": True}
    app, stack = cdk_app.build_app(App(context=context, outdir=str(outdir)))
    nag_report = AwsSolutionsChecks().validate_scope(app)
    findings = [f"{v.rule_name} ({v.severity}) at {r.construct_path}: {v.description}"
                for v in nag_report.violations for r in v.violating_resources]
    if findings:   # the synthesis below would stop on them; say which
        pytest.fail("unacknowledged cdk-nag findings (fix, or acknowledge them with a reason in the "
                    "construct that creates the resource, infra/constructs/*.py):\n"
                    + "\n".join(findings), pytrace=False)
    # Synthesizes the whole app: the cdk-nag plugin registered by build_app runs here and
    # raises on any unacknowledged finding.
    template = assertions.Template.from_stack(stack)
    return Synth(app=app, stack=stack, template=template, doc=template.to_json(), outdir=outdir,
                 nag_report=nag_report)

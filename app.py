#!/usr/bin/env python3
"""CDK app: `npx cdk synth` / `npx cdk deploy` from the repository root (see docs/deploy.md)."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aws_cdk import App, Tags, Validations  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from infra.catalog import ensure_import_paths  # noqa: E402
from infra.stack import SpeakPhoStack  # noqa: E402


def build_app(app: App | None = None) -> tuple[App, SpeakPhoStack]:
    ensure_import_paths()
    app = app or App()
    stack_name = app.node.try_get_context("stackName") or "SpeakPho"
    # Environment-agnostic on purpose: no look-ups, and `cdk deploy` targets the profile's account/region.
    stack = SpeakPhoStack(app, stack_name, description="Speak Pho Real: voice practice API, web and alarms")
    Tags.of(app).add("project", "speakpho")
    if str(app.node.try_get_context("nag")).lower() not in ("false", "0", "off"):
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack


if __name__ == "__main__":
    built, _ = build_app()
    built.synth()

"""The common Lambda layer, built once and shared by every function.

It holds our package (layers/common/python/speakpho) and the pinned runtime dependencies of
requirements.txt, installed for the Lambda runtime (manylinux2014 x86_64, CPython 3.12) by a
local bundler: no Docker. See infra/layer_build.py and docs/deploy.md.
"""
from __future__ import annotations

from pathlib import Path

import jsii
from aws_cdk import (
    Annotations,
    AssetHashType,
    BundlingOptions,
    DockerImage,
    ILocalBundling,
)
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import bytecode, layer_build, runtime

RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.X86_64
if RUNTIME.name != f"python{runtime.PYTHON_VERSION}" or ARCHITECTURE.name not in runtime.PLATFORM:
    raise RuntimeError("the functions' runtime/architecture must match the layer build (infra/layer_build.py)")


@jsii.implements(ILocalBundling)
class LocalLayerBundling:
    """Assembles the layer on this machine; returning True tells CDK not to try Docker."""

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def try_bundle(self, output_dir: str, options=None) -> bool:  # noqa: ARG002 - jsii passes the options struct
        layer_build.assemble(Path(output_dir), self.mode)
        return True


class CommonLayer(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, dependencies: str = "pip") -> None:
        super().__init__(scope, construct_id)
        self.dependencies = dependencies
        source = layer_build.LAYER_SOURCE.parent  # layers/common: CDK fingerprints it, we hash ourselves
        self.layer = lambda_.LayerVersion(
            self, "Layer",
            code=lambda_.Code.from_asset(
                str(source),
                asset_hash_type=AssetHashType.CUSTOM,
                asset_hash=layer_build.content_hash(dependencies),
                bundling=BundlingOptions(
                    # Never pulled: the local bundler always succeeds or raises.
                    image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.12"),
                    local=LocalLayerBundling(dependencies),
                ),
            ),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="speakpho shared code + pinned runtime dependencies (requirements.txt)",
        )
        if bytecode.interpreter() is None:
            Annotations.of(self).add_warning_v2(
                "speakpho:no-bytecode",
                f"no CPython {runtime.PYTHON_VERSION} on this machine: the layer and the function code ship "
                "source only, which Lambda compiles again on every cold start (see infra/bytecode.py); "
                f"install python{runtime.PYTHON_VERSION} or set {bytecode.INTERPRETER_ENV} before deploying")
        if dependencies != "pip":
            Annotations.of(self).add_warning_v2(
                "speakpho:layer-without-dependencies",
                "layerDependencies=none: the layer holds only our package, not requirements.txt; "
                "this template is for tests and must not be deployed")

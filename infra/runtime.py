"""The Lambda runtime every function runs on and the layer is built for, defined once.

infra/layer_build.py fetches wheels for it, infra/bytecode.py compiles for its Python,
infra/constructs/ sets it on every function, and local/lambda_tree.py reproduces it.
"""
from __future__ import annotations

PYTHON_VERSION = "3.12"
PLATFORM = "manylinux2014_x86_64"
IMPLEMENTATION = "cp"
# The runtime ships boto3 with botocore, s3transfer and botocore's own dependencies as a matched
# set; copies pulled in by aws-xray-sdk or Powertools would shadow the runtime's (the layer comes
# first on sys.path) and could break its boto3. The layer leaves them all to the runtime. Names
# are distributions (of *.dist-info) and top-level modules.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "python_dateutil", "dateutil", "six", "urllib3")
# Set on every function: pydantic otherwise scans the metadata of every installed distribution
# for plugins when the first model is built, at cold start; we use none.
INTERPRETER_ENVIRONMENT = {"PYDANTIC_DISABLE_PLUGINS": "__all__"}

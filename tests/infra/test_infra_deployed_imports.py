"""The deployed artifacts import on the runtime's Python with nothing of this machine's.

Lays out the stack's layer and code assets as Lambda does (/opt/python, /var/task, the
runtime's boto3; bench/coldstart.py builds the same tree for the cold-init figures) and
starts each handler in a CPython 3.12 without site-packages, as a new container would. A
dependency the layer lacks (or one left to the runtime that the runtime does not ship)
fails here, not in production; so does a module that would be compiled at every cold start.
"""
from __future__ import annotations

import json
import subprocess

import pytest

from bench import coldstart
from infra import bytecode, layer_build

CHECK = """
import json, sys
{imports}
from speakpho.aws import dynamodb_client
dynamodb_client()
roots = sys.argv[1:]
ours = [m for m in list(sys.modules.values()) if getattr(m, "__file__", None)
        and m.__file__.startswith(tuple(roots))]
source_only = sorted(m.__name__ for m in ours if m.__file__.endswith(".py")
                     and not (m.__spec__ and m.__spec__.cached and __import__("os").path.exists(m.__spec__.cached)))
foreign = sorted(m.__name__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)
                 and "site-packages" in m.__file__)
print(json.dumps({{"modules": len(ours), "source_only": source_only, "foreign": foreign}}))
"""


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    python = bytecode.interpreter()
    if python is None:
        pytest.skip(f"no CPython {layer_build.PYTHON_VERSION} on this machine (infra/bytecode.py)")
    if not (layer_build.deps_dir().parent / layer_build.COMPLETE_MARKER).is_file():
        pytest.skip("layer dependencies not built yet (make builds them during set-up)")
    return coldstart.build_lambda_tree(python, tmp_path_factory.mktemp("lambda"))["compiled"]


@pytest.mark.parametrize("name", sorted(coldstart.HANDLERS))
def test_handler_starts_from_the_deployed_assets_alone(deployed, name):
    code = CHECK.format(imports=coldstart.HANDLERS[name])
    out = subprocess.run(deployed.command(code, timed=False) + [str(p) for p in deployed.paths],
                         capture_output=True, text=True, env=coldstart.lambda_env(deployed),
                         cwd=str(deployed.paths[0]), timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["modules"] > 100           # the layer's packages, the runtime's boto3, our code
    assert report["source_only"] == []       # everything loads from shipped bytecode
    assert report["foreign"] == []           # nothing from any site-packages of this machine

"""The deployed artifacts laid out as Lambda runs them, for a CPython of the runtime's version.

Lambda puts the function's code at /var/task, the layer's `python/` at /opt/python and the
runtime's own boto3 (with botocore and its dependencies) beside the interpreter; nothing
else. This module builds that tree from the stack's own bundlers (infra/layer_build.py: the
same files, with their bytecode, that `cdk deploy` uploads) and says how to start a
process in it: no site-packages of this machine, no bytecode writing (those paths are
read-only in Lambda), the functions' interpreter environment.

Used by `make bench` (cold init as deployed) and by tests/deployed (the assets serve real
requests on the runtime's Python, which the rest of the tests, on this machine's Python,
cannot show).
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from infra.runtime import INTERPRETER_ENVIRONMENT, PYTHON_VERSION, RUNTIME_PROVIDED

# An X-Ray trace header of an unsampled request: the SDK takes its Lambda code path and sends nothing.
UNSAMPLED_TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"


@dataclass(frozen=True)
class Layout:
    """How to start an interpreter on some code: which python, which sys.path, isolated or not."""
    python: str
    paths: tuple[Path, ...]
    isolated: bool          # -S: no site-packages, as in Lambda
    description: str

    def command(self, *args: str) -> list[str]:
        return [self.python, *(["-S"] if self.isolated else []), *args]

    @property
    def cwd(self) -> Path:
        return self.paths[0]   # Lambda starts in /var/task


def _runtime_modules() -> list[Path]:
    """What the Lambda runtime provides next to the interpreter (boto3 and its matched set,
    which the layer leaves out), taken from this machine's boto3 installation."""
    import boto3

    site = Path(boto3.__file__).resolve().parent.parent
    found = [site / name if (site / name).is_dir() else site / f"{name}.py" for name in RUNTIME_PROVIDED]
    return [path for path in found if path.exists()]


def _copy(src: Path, dst: Path, *, with_bytecode: bool = True) -> None:
    ignore = None if with_bytecode else shutil.ignore_patterns("__pycache__", "*.pyc")
    if src.is_dir():
        shutil.copytree(src, dst, ignore=ignore, dirs_exist_ok=True)
    else:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)


def areas() -> list[str]:
    from infra.catalog import AREAS, ROLLUPS, SWEEPER

    return sorted({area.name for area in (*AREAS, SWEEPER, ROLLUPS)})


def build(python: str, tree: Path, *, with_source_copy: bool = False) -> dict[str, Layout]:
    """Write the tree under `tree` (replacing it). Returns the `compiled` layout (as shipped)
    and, when asked, a `source` one: the same files without their bytecode."""
    from infra import bytecode, layer_build
    from infra.catalog import FUNCTIONS_PATH

    if tree.exists():
        shutil.rmtree(tree)
    runtime_dir, opt, task = tree / "runtime", tree / "opt", tree / "task"
    for module in _runtime_modules():
        _copy(module, runtime_dir / module.name, with_bytecode=False)
    bytecode.compile_tree(runtime_dir, "/var/runtime", python=python)   # as the runtime ships it
    layer_build.assemble(opt, "pip")
    for area in areas():
        layer_build.assemble_area(task, area, FUNCTIONS_PATH)
    layouts = {"compiled": Layout(
        python, (task, opt / "python", runtime_dir), True,
        f"as deployed: CPython {PYTHON_VERSION} ({python}), the stack's layer and code assets "
        "with their bytecode, the runtime's boto3, no site-packages")}
    if with_source_copy:
        source_opt, source_task = tree / "source-opt", tree / "source-task"
        _copy(opt, source_opt, with_bytecode=False)
        _copy(task, source_task, with_bytecode=False)
        layouts["source"] = Layout(python, (source_task, source_opt / "python", runtime_dir), True,
                                   "as deployed, but without bytecode")
    return layouts


def lambda_env(layout: Layout, function_name: str = "speakpho", **extra: str) -> dict:
    """The environment of a function's process: this one's, less Python and Powertools
    settings, plus what Lambda and the stack set (infra/constructs/functions.py)."""
    from speakpho.tables import TABLES

    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "PYTHON"))}
    # The stack names each table in its variable; here the tables have their local names. In
    # Lambda (AWS_LAMBDA_FUNCTION_NAME set) a handler's init fails without them (require_tables).
    env.update({spec.env_name: spec.logical_name for spec in TABLES if spec.env_name not in env})
    env.update({
        "PYTHONPATH": os.pathsep.join(str(p) for p in layout.paths),
        "PYTHONDONTWRITEBYTECODE": "1",     # /opt and /var/task are read-only in Lambda
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
        # As in Lambda: these make the X-Ray SDK and Powertools take their Lambda code paths.
        "LAMBDA_TASK_ROOT": str(layout.cwd), "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "_X_AMZN_TRACE_ID": UNSAMPLED_TRACE,
        "POWERTOOLS_METRICS_NAMESPACE": "SpeakPho", "POWERTOOLS_SERVICE_NAME": function_name,
        **INTERPRETER_ENVIRONMENT,
        **extra,
    })
    return env

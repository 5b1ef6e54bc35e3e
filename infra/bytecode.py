"""Precompiled bytecode for everything the Lambdas import from the layer and their code.

Lambda mounts /opt (layers) and /var/task (function code) read-only, so Python cannot write
`__pycache__` there: a module shipped as source only is compiled again on every cold start.
Measured with `make bench` (the session handler, CPython 3.12, Lambda-like paths): about
2.5x the boto3 floor from source against about 1.4x with bytecode. So both assets ship
`.pyc` files, compiled by a CPython of the runtime's own version (the bytecode format
changes with every minor version; 3.11's files would be ignored by 3.12).

`unchecked-hash` pycs are used as they are, without comparing source timestamps: asset
zips do not keep modification times reliably, and the files never change once deployed.
The recorded file names are the deployed paths (/opt/python/..., /var/task/...), not
this machine's build directories.

Without such an interpreter the assets ship source only, and synthesis warns.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from infra.runtime import PYTHON_VERSION

CACHE_TAG = "cpython-" + PYTHON_VERSION.replace(".", "")
INTERPRETER_ENV = "LAMBDA_BYTECODE_PYTHON"   # an explicit interpreter path wins
LAYER_PREFIX = "/opt/python"
TASK_PREFIX = "/var/task"


def candidates() -> list[str]:
    """Interpreters to try, in order of preference (interpreter() keeps the first of the runtime's version)."""
    explicit = os.environ.get(INTERPRETER_ENV)
    found = [explicit] if explicit else []
    on_path = shutil.which(f"python{PYTHON_VERSION}")
    if on_path:
        found.append(on_path)
    # pyenv installs, newest patch release first.
    pattern = os.path.expanduser(f"~/.pyenv/versions/{PYTHON_VERSION}.*/bin/python{PYTHON_VERSION}")
    found += sorted(glob.glob(pattern), key=lambda p: [int(x) if x.isdigit() else 0
                                                       for x in Path(p).parts[-3].split(".")], reverse=True)
    found += [f"/usr/local/bin/python{PYTHON_VERSION}", f"/usr/bin/python{PYTHON_VERSION}"]
    return found


def _cache_tag(python: str) -> str | None:
    try:
        out = subprocess.run([python, "-c", "import sys; print(sys.implementation.cache_tag)"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


@lru_cache(maxsize=1)
def interpreter() -> str | None:
    """A CPython whose bytecode the Lambda runtime loads, or None if this machine has none."""
    for candidate in candidates():
        if candidate and os.path.exists(candidate) and _cache_tag(candidate) == CACHE_TAG:
            return candidate
    return None


def tag() -> str:
    """What the assets hold, for their hashes: the bytecode tag, or `source` when not compiled."""
    return CACHE_TAG if interpreter() else "source"


def compile_tree(root: Path, deployed_prefix: str, *, only: Path | None = None,
                 python: str | None = None) -> bool:
    """Compile every .py under `only` (default: all of root) in place, recording file names
    as if root were deployed at deployed_prefix.

    Returns False (and changes nothing) when no suitable interpreter is available.
    """
    python = python or interpreter()
    if python is None:
        return False
    result = subprocess.run(
        [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
         "-s", str(root), "-p", deployed_prefix, str(only or root)],
        capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"compiling {root} to bytecode failed:\n{(result.stdout + result.stderr)[-4000:]}")
    return True


def missing_bytecode(root: Path) -> list[Path]:
    """Source files under root without a compiled file of the runtime's tag next to them."""
    return [py for py in sorted(root.rglob("*.py"))
            if not (py.parent / "__pycache__" / f"{py.stem}.{CACHE_TAG}.pyc").is_file()]

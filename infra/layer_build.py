"""Builds the common layer's third-party dependencies without Docker.

`pip install --platform manylinux2014_x86_64 --python-version 3.12 --only-binary=:all:`
fetches the wheels the Lambda runtime needs (pydantic-core is compiled: the wheel must be
the manylinux cp312 build, not this machine's). The result is cached under
`.build/layer-deps/<key>/python`, keyed by requirements.txt and the target platform, so
only the first synth after a requirements change needs the package index; later synths,
and `cdk deploy`, work offline.

Pre-fetch (e.g. during set-up):  .venv/bin/python -m infra.layer_build
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from infra import bytecode
from infra.runtime import IMPLEMENTATION, PLATFORM, PYTHON_VERSION, RUNTIME_PROVIDED

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements.txt"
LAYER_SOURCE = ROOT / "layers" / "common" / "python"
CACHE_ROOT = ROOT / ".build" / "layer-deps"

# Bump when the build recipe changes, so caches and asset hashes follow.
RECIPE = "2"
COMPLETE_MARKER = ".complete"


def cache_key(requirements: Path = REQUIREMENTS) -> str:
    digest = hashlib.sha256()
    digest.update(requirements.read_bytes())
    digest.update("|".join((PYTHON_VERSION, PLATFORM, IMPLEMENTATION, RECIPE, bytecode.tag(),
                            *RUNTIME_PROVIDED)).encode())
    return digest.hexdigest()[:20]


def deps_dir(requirements: Path = REQUIREMENTS, cache_root: Path = CACHE_ROOT) -> Path:
    """Where the built dependencies of `requirements` live (a `python/` tree ready for a layer)."""
    return cache_root / cache_key(requirements) / "python"


def pip_command(target: Path, requirements: Path = REQUIREMENTS) -> list[str]:
    return [
        sys.executable, "-m", "pip", "install",
        "--quiet", "--disable-pip-version-check", "--no-compile", "--no-warn-conflicts",
        "-r", str(requirements),
        "--target", str(target),
        "--platform", PLATFORM,
        "--only-binary=:all:",
        "--python-version", PYTHON_VERSION,
        "--implementation", IMPLEMENTATION,
    ]


def prune(target: Path) -> None:
    """Drop what the runtime provides and what a layer never needs."""
    for entry in list(target.iterdir()):
        name = entry.name.lower()
        if name.endswith((".dist-info", ".egg-info")):
            dist = name.split("-")[0]
        else:
            dist = name[:-3] if name.endswith(".py") else name
        if dist in RUNTIME_PROVIDED or name in ("bin", "__pycache__"):
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for cache in list(target.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)


def build_dependencies(requirements: Path = REQUIREMENTS, cache_root: Path = CACHE_ROOT,
                       *, force: bool = False) -> Path:
    """Return the cached dependency tree, building it first if needed (needs the package index).

    The tree is compiled to the runtime's bytecode when this machine has its interpreter
    (infra/bytecode.py); the cache key says which.
    """
    final = deps_dir(requirements, cache_root)
    if not force and (final.parent / COMPLETE_MARKER).is_file():
        return final
    final.parent.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="build-", dir=final.parent.parent))
    try:
        target = work / "python"
        result = subprocess.run(pip_command(target, requirements), capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(
                "building the Lambda layer's dependencies failed (pip needs the package index the first time; "
                f"afterwards {final.parent} is reused offline):\n{result.stderr[-4000:]}")
        prune(target)
        bytecode.compile_tree(target, bytecode.LAYER_PREFIX)
        (work / COMPLETE_MARKER).write_text(" ".join(pip_command(Path("<target>"), requirements)[3:]) + "\n")
        if final.parent.exists():
            shutil.rmtree(final.parent)
        os.replace(work, final.parent)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return final


def source_files(source: Path = LAYER_SOURCE) -> list[Path]:
    """Our layer code: every file under layers/common/python except caches."""
    return sorted(p for p in source.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def content_hash(mode: str, requirements: Path = REQUIREMENTS, source: Path = LAYER_SOURCE) -> str:
    """Asset hash of the layer: our code, and (in pip mode) what the dependencies are built from."""
    digest = hashlib.sha256(f"mode={mode}|recipe={RECIPE}|{bytecode.tag()}".encode())
    if mode == "pip":
        digest.update(cache_key(requirements).encode())
    for path in source_files(source):
        digest.update(str(path.relative_to(source)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _copy_tree(src: Path, dst: Path) -> None:
    """Copy, hard-linking where possible (the cache and cdk.out usually share a file system)."""
    def link_or_copy(s, d):
        try:
            os.link(s, d)
        except OSError:
            shutil.copy2(s, d)
    shutil.copytree(src, dst, copy_function=link_or_copy, dirs_exist_ok=True)


def assemble(output_dir: Path, mode: str, source: Path = LAYER_SOURCE,
             requirements: Path = REQUIREMENTS, cache_root: Path = CACHE_ROOT) -> Path:
    """Write the layer (python/...) into output_dir and return output_dir/python."""
    target = Path(output_dir) / "python"
    target.mkdir(parents=True, exist_ok=True)
    if mode == "pip":
        _copy_tree(build_dependencies(requirements, cache_root), target)
    for path in source_files(source):
        dest = target / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
    # Our code; the dependencies came compiled from the cache.
    for top in sorted({path.relative_to(source).parts[0] for path in source_files(source)}):
        if (target / top).is_dir() or top.endswith(".py"):
            bytecode.compile_tree(target, bytecode.LAYER_PREFIX, only=target / top)
    return target


def area_files(area: str, functions: Path) -> list[Path]:
    """One area's function code: every file under functions/<area> except caches and dotfiles."""
    root = functions / area
    return sorted(p for p in root.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
                  and not any(part.startswith(".") for part in p.relative_to(root).parts))


def area_hash(area: str, functions: Path) -> str:
    """Asset hash of one area's code: its files and whether it ships bytecode."""
    digest = hashlib.sha256(f"area={area}|recipe={RECIPE}|{bytecode.tag()}".encode())
    for path in area_files(area, functions):
        digest.update(str(path.relative_to(functions)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def assemble_area(output_dir: Path, area: str, functions: Path) -> Path:
    """Write functions/<area> into output_dir/<area>, compiled as it will sit under /var/task."""
    output_dir = Path(output_dir)
    for path in area_files(area, functions):
        dest = output_dir / path.relative_to(functions)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
    bytecode.compile_tree(output_dir, bytecode.TASK_PREFIX, only=output_dir / area)
    return output_dir / area


if __name__ == "__main__":  # pragma: no cover - set-up helper
    built = build_dependencies(force="--force" in sys.argv)
    print(f"layer dependencies ready in {built}")

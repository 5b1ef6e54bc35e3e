"""The assets' bytecode (infra/bytecode.py): compiled by a CPython of the runtime's version,
hash-based so zip timestamps cannot invalidate it, naming the deployed paths. These tests
compile with this machine's own interpreter, so they run anywhere; the synthesized assets
are checked against the runtime's tag in test_infra_functions.py."""
from __future__ import annotations

import importlib.util
import marshal
import subprocess
import sys
from pathlib import Path

import pytest

from infra import bytecode, layer_build

TAG = sys.implementation.cache_tag


def write_package(root: Path) -> Path:
    package = root / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "mod.py").write_text("def fail():\n    raise ValueError('boom')\n")
    (package / "sub" / "__init__.py").write_text("VALUE = 7\n")
    return package


def read_pyc(path: Path):
    """(flags, code object) of a .pyc of this interpreter (PEP 552 header: magic, flags, 8 bytes)."""
    data = path.read_bytes()
    assert data[:4] == importlib.util.MAGIC_NUMBER
    return int.from_bytes(data[4:8], "little"), marshal.loads(data[16:])


def test_compile_tree_writes_unchecked_hash_pycs_naming_the_deployed_path(tmp_path):
    package = write_package(tmp_path)
    assert bytecode.compile_tree(tmp_path, "/opt/python", only=package, python=sys.executable)
    pyc = package / "__pycache__" / f"mod.{TAG}.pyc"
    flags, code = read_pyc(pyc)
    assert flags == 0b01                      # hash-based, source never checked
    assert code.co_filename == "/opt/python/pkg/mod.py"
    assert (package / "sub" / "__pycache__" / f"__init__.{TAG}.pyc").is_file()


def test_compiled_tree_is_used_without_looking_at_the_source(tmp_path):
    """Asset zips rewrite modification times; the bytecode must be taken as it is. Proof: after
    the source changes, the import still runs the compiled value."""
    package = write_package(tmp_path)
    bytecode.compile_tree(tmp_path, "/var/task", python=sys.executable)
    (package / "sub" / "__init__.py").write_text("VALUE = 8\n")
    code = "import sys; sys.path.insert(0, sys.argv[1]); import pkg.sub; print(pkg.sub.VALUE)"
    out = subprocess.run([sys.executable, "-B", "-c", code, str(tmp_path)], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "7"


def test_without_a_runtime_interpreter_nothing_is_compiled(tmp_path, monkeypatch):
    package = write_package(tmp_path)
    monkeypatch.setattr(bytecode, "interpreter", lambda: None)
    assert bytecode.compile_tree(tmp_path, "/opt/python") is False
    assert not list(tmp_path.rglob("*.pyc"))
    assert bytecode.tag() == "source"
    assert sorted(p.name for p in bytecode.missing_bytecode(package)) == ["__init__.py", "__init__.py", "mod.py"]


def test_an_interpreter_of_another_version_is_refused(monkeypatch):
    monkeypatch.setattr(bytecode, "candidates", lambda: [sys.executable, "/nonexistent/python3.12"])
    bytecode.interpreter.cache_clear()
    try:
        expected = sys.executable if TAG == bytecode.CACHE_TAG else None
        assert bytecode.interpreter() == expected
    finally:
        bytecode.interpreter.cache_clear()


def test_explicit_interpreter_comes_first(monkeypatch):
    monkeypatch.setenv(bytecode.INTERPRETER_ENV, "/custom/python")
    assert bytecode.candidates()[0] == "/custom/python"


def test_failed_compilation_raises_with_the_file(tmp_path):
    (tmp_path / "broken.py").write_text("def (:\n")
    try:
        bytecode.compile_tree(tmp_path, "/var/task", python=sys.executable)
    except RuntimeError as error:
        assert "broken.py" in str(error)
    else:
        raise AssertionError("a file that does not compile must stop the build")


def test_area_asset_is_the_area_alone_compiled(tmp_path, monkeypatch):
    functions = tmp_path / "functions"
    for area in ("session", "admin"):
        (functions / area / "__pycache__").mkdir(parents=True)
        (functions / area / "__init__.py").write_text("")
        (functions / area / "handler.py").write_text(f"AREA = {area!r}\n")
        (functions / area / "__pycache__" / "stale.cpython-311.pyc").write_bytes(b"\0")
    (functions / "session" / ".hidden").write_text("x")
    monkeypatch.setattr(bytecode, "interpreter", lambda: sys.executable)
    out = tmp_path / "out"
    layer_build.assemble_area(out, "session", functions)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == ["session/__init__.py", f"session/__pycache__/__init__.{TAG}.pyc",
                     f"session/__pycache__/handler.{TAG}.pyc", "session/handler.py"]
    _, code = read_pyc(out / "session" / "__pycache__" / f"handler.{TAG}.pyc")
    assert code.co_filename == "/var/task/session/handler.py"


def test_area_hash_follows_its_files_and_the_bytecode_tag(tmp_path, monkeypatch):
    functions = tmp_path / "functions"
    (functions / "session").mkdir(parents=True)
    (functions / "session" / "handler.py").write_text("A = 1\n")
    monkeypatch.setattr(bytecode, "interpreter", lambda: sys.executable)
    base = layer_build.area_hash("session", functions)
    (functions / "session" / "handler.py").write_text("A = 2\n")
    changed = layer_build.area_hash("session", functions)
    assert changed != base
    monkeypatch.setattr(bytecode, "interpreter", lambda: None)
    assert layer_build.area_hash("session", functions) != changed


@pytest.mark.parametrize("found", [True, False])
def test_layer_warns_exactly_when_it_ships_source_only(tmp_path, monkeypatch, found):
    from aws_cdk import App, Stack, assertions

    from infra.constructs.layer import CommonLayer

    monkeypatch.setattr(bytecode, "interpreter", lambda: sys.executable if found else None)
    app = App(outdir=str(tmp_path / "out"))
    stack = Stack(app, "LayerOnly")
    CommonLayer(stack, "Layer", dependencies="none")
    warnings = assertions.Annotations.from_stack(stack).find_warning(
        "*", assertions.Match.string_like_regexp("no CPython"))
    assert bool(warnings) is not found
    assembly = app.synth()
    pycs = list(Path(assembly.directory).rglob("*.pyc"))
    assert bool(pycs) is found

"""The import rules of docs/architecture.md, read from the source (every import, in functions too):
no import cycle anywhere, and each layer imports only what it may."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {  # import root -> folder
    "": [ROOT / "functions", ROOT / "layers" / "common" / "python", ROOT],
}
PACKAGES = ("speakpho", "session", "learning", "admin", "infra", "local", "bench", "migrations")


def _module_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for base in (ROOT / "functions", ROOT / "layers" / "common" / "python", ROOT):
        for path in base.rglob("*.py"):
            parts = path.relative_to(base).with_suffix("").parts
            if not parts or parts[0] not in PACKAGES or "node_modules" in path.parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            files.setdefault(name, path)
    return files


FILES = _module_files()


def _imports(path: Path, module: str) -> set[str]:
    """Modules imported anywhere in the file: at module level and inside functions (a lazy
    import is still a dependency: config -> table_env -> tables -> config was a cycle hidden in
    a function), not under TYPE_CHECKING."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    for sub in ast.walk(tree):
        if isinstance(sub, ast.Import):
            found.update(alias.name for alias in sub.names)
        elif isinstance(sub, ast.ImportFrom):
            base = sub.module or ""
            if sub.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - sub.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            submodules = {f"{base}.{alias.name}" for alias in sub.names} & FILES.keys()
            found.update(submodules)
            if len(submodules) < len(sub.names):   # names from the module itself
                found.add(base)
    # A package's own ancestors run before it anyway: not an edge of a cycle.
    return {name for name in found if name in FILES and name != module and not module.startswith(name + ".")}


GRAPH = {module: _imports(path, module) for module, path in FILES.items()}


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for module in sorted(GRAPH):
        if module not in state:
            found = visit(module)
            if found:
                return found
    return None


def test_no_import_cycle():
    assert _cycle() is None, " -> ".join(_cycle() or [])


def _all_imports(path: Path) -> set[str]:
    """Every import in the file, top level or inside functions (not under TYPE_CHECKING)."""
    names: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


DOMAIN = sorted(m for m in FILES if m.startswith(("speakpho.metering.", "admin.health.", "admin.mistakes."))
                or m in ("speakpho.metering", "speakpho.story", "speakpho.close_codes", "learning.history",
                         "learning.review", "learning.schedule", "learning.deletion", "learning.memory",
                         "learning.fsrs_fit"))
FORBIDDEN_IN_DOMAIN = ("botocore", "boto3", "speakpho.ddb", "aws_lambda_powertools", "speakpho.api",
                       "speakpho.aws")


@pytest.mark.parametrize("module", DOMAIN)
def test_the_domain_knows_neither_botocore_nor_http(module):
    imported = _all_imports(FILES[module])
    bad = sorted(n for n in imported if n.startswith(FORBIDDEN_IN_DOMAIN) or n.endswith("_store"))
    assert not bad, f"{module} imports {bad}"


@pytest.mark.parametrize("module", sorted(m for m in FILES if m.startswith(("speakpho", "session", "learning",
                                                                             "admin"))))
def test_deployed_code_never_imports_infra_local_bench_or_tests(module):
    imported = _all_imports(FILES[module])
    bad = sorted(n for n in imported if n.split(".")[0] in ("infra", "local", "bench", "tests", "moto", "migrations"))
    assert not bad, f"{module} imports {bad}"

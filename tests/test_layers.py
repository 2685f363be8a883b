"""The house's floors: no module imports one on a floor above it (read from the source, so an
import that runs back up fails here before it can spread)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "faceaudit"

# Each part of the product, and what it must never import. Lower floors know nothing of the
# higher ones: storage keeps rows, the stages hand each other typed records (types.py), the
# checkup runs the stages, and the CLI only parses and renders.
ENTRY = {"faceaudit.cli", "faceaudit.checkup", "faceaudit.environment", "faceaudit.__main__"}
STAGES = {"faceaudit.scan", "faceaudit.check", "faceaudit.demo", *ENTRY}
FORBIDDEN: dict[str, set[str]] = {
    "faceaudit.types": {"faceaudit"},
    "faceaudit.errors": {"faceaudit"},
    "faceaudit.thresholds": {"faceaudit"},
    "faceaudit.text": {"faceaudit"},  # printable(): every floor that prints may use it
    "faceaudit.vault": {"faceaudit.workspace", "faceaudit.compare", "faceaudit.crawl", "faceaudit.report", *STAGES},
    "faceaudit.workspace": {"faceaudit.compare", "faceaudit.crawl", "faceaudit.report", *STAGES},
    "faceaudit.crawl": {"faceaudit.workspace", "faceaudit.compare", "faceaudit.report", *STAGES},
    "faceaudit.compare": {"faceaudit.workspace", "faceaudit.crawl.sites", "faceaudit.report", *STAGES},
    "faceaudit.report": {"faceaudit.compare", "faceaudit.crawl", *STAGES},
    "faceaudit.scan": {"faceaudit.report", "faceaudit.demo", *ENTRY},
    "faceaudit.demo": {"faceaudit.cli", "faceaudit.environment"},
}
# Imports of the lower floor's own basics that every floor may use.
ALWAYS_ALLOWED = {"faceaudit.types", "faceaudit.errors", "faceaudit.thresholds", "faceaudit.__version__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every faceaudit module `path` imports, at the top, in a function, or for type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).rsplit(".", 0 if path.name == "__init__.py" else 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], *filter(None, [base])])
            found |= {f"{base}.{alias.name}" for alias in node.names} | {base}
    return {name for name in found if name == "faceaudit" or name.startswith("faceaudit.")}


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def owner(module: str) -> str | None:
    """The most specific FORBIDDEN key `module` belongs to."""
    keys = [key for key in FORBIDDEN if within(module, key)]
    return max(keys, key=len) if keys else None


def violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        rule = owner(module)
        if rule is None:
            continue
        for name in sorted(imported(path)):
            if within(name, module) or any(within(name, ok) for ok in ALWAYS_ALLOWED):
                continue
            if within(name, rule):  # inside its own part of the house
                continue
            if any(within(name, bad) for bad in FORBIDDEN[rule]):
                found.append(f"{module} imports {name}")
    return found


def test_no_import_runs_back_up_the_house() -> None:
    assert violations() == []


def test_the_product_never_imports_its_tests() -> None:
    assert [str(p) for p in PACKAGE.rglob("*.py") if any(within(n, "tests") for n in _all_imports(p))] == []


def _all_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names.add(node.module or "")
    return names


@pytest.mark.parametrize(("module", "name"), [
    ("faceaudit.workspace", "faceaudit.report.model"),
    ("faceaudit.workspace", "faceaudit.compare.engines.base"),
    ("faceaudit.report.history", "faceaudit.compare.matcher"),
    ("faceaudit.crawl.net", "faceaudit.workspace"),
])
def test_the_rules_catch_an_import_back_up(module: str, name: str) -> None:
    rule = owner(module)
    assert rule is not None and any(within(name, bad) for bad in FORBIDDEN[rule])

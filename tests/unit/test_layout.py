"""The packages import one way: dags, bench, tools -> pipeline -> ml -> warehouse.

Every module is parsed (not imported) and every import is seen: top-level ones,
those inside functions, relative ones and ``importlib.import_module("...")`` with a
literal name. A package may import itself and any package below it, nothing above it
and nothing beside it.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: Rank of each package: a module may import its own package and those of lower rank.
LAYERS = {"dags": 3, "bench": 3, "tools": 3, "pipeline": 2, "ml": 1, "warehouse": 0}


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a parsed module."""
    found: list[tuple[int, str]] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            literal = node.args[0] if node.args else None
            if (
                called in ("import_module", "__import__")
                and isinstance(literal, ast.Constant)
                and isinstance(literal.value, str)
            ):
                found.append((node.lineno, literal.value))
    return found


def import_violations(root: Path) -> list[str]:
    """Every import under ``root`` that goes up or sideways between the packages."""
    violations = []
    for top, rank in LAYERS.items():
        for path in sorted((root / top).rglob("*.py")):
            module = _module_name(root, path)
            tree = ast.parse(path.read_text(), filename=str(path))
            for line, name in imported_names(tree, module, path.name == "__init__.py"):
                target = name.split(".")[0]
                if target in LAYERS and target != top and LAYERS[target] >= rank:
                    where = path.relative_to(root)
                    violations.append(f"{where}:{line}: {top} imports {name}")
    return violations


def test_the_packages_import_one_way() -> None:
    assert import_violations(REPO) == []


def test_the_check_sees_every_kind_of_import(tmp_path) -> None:
    """A planted module breaking the rule in each way is caught, line by line."""
    for package in LAYERS:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "warehouse" / "bad.py").write_text(
        "import json\n"
        "import ml\n"
        "def late():\n"
        "    from pipeline.night import STEPS\n"
        "    import importlib\n"
        "    return importlib.import_module('ml.tracking')\n"
    )
    (tmp_path / "ml" / "sub").mkdir()
    (tmp_path / "ml" / "sub" / "__init__.py").write_text("from .. import registry\n")
    (tmp_path / "ml" / "upward.py").write_text("__import__('tools.airflow_local')\n")
    (tmp_path / "bench" / "aside.py").write_text("from dags import _common\nimport warehouse\n")
    (tmp_path / "pipeline" / "fine.py").write_text("import ml.registry\nfrom warehouse import db\n")
    assert import_violations(tmp_path) == [
        "bench/aside.py:1: bench imports dags",
        "ml/upward.py:1: ml imports tools.airflow_local",
        "warehouse/bad.py:2: warehouse imports ml",
        "warehouse/bad.py:4: warehouse imports pipeline.night",
        "warehouse/bad.py:6: warehouse imports ml.tracking",
    ]

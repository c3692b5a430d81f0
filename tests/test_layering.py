"""The layering rules of DESIGN.md, checked on the source tree."""

import ast
from pathlib import Path

from tests.conftest import ROOT

UI_LIBRARIES = {"streamlit", "gradio"}
# Inside core/, these lower layers never import the higher ones.
LOWER = {"settings", "errors", "records", "embeddings", "vectors", "metadata", "registry", "document_repository"}
HIGHER = {"retrieval", "sql", "chat", "workbench", "workspace", "cli"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def python_files(folder: str):
    return sorted((ROOT / folder).rglob("*.py"))


def test_core_and_connectors_never_import_ui_libraries():
    offenders = []
    for folder in ("core", "connectors"):
        for path in python_files(folder):
            if path.name == "gradio_endpoint.py":
                continue
            roots = {name.split(".")[0] for name in imported_modules(path)}
            if roots & UI_LIBRARIES:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_core_never_imports_app_pages_or_connectors():
    for path in python_files("core"):
        roots = {name.split(".")[0] for name in imported_modules(path)}
        assert not roots & {"app", "pages", "connectors", "ui"}, path


def test_lower_core_layers_never_import_higher_ones():
    for path in python_files("core"):
        if path.stem not in LOWER:
            continue
        for name in imported_modules(path):
            parts = name.split(".")
            if parts[0] == "core" and len(parts) > 1:
                assert parts[1] not in HIGHER, f"{path.name} imports {name}"


def test_no_exec_or_eval_in_product_code():
    for folder in ("core", "connectors", "pages", "ui"):
        for path in python_files(folder):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    assert node.func.id not in {"exec", "eval"}, f"{path}: {node.func.id}()"

"""The tests of core/ mirror its layout, so the tests of a module are found where the module is.

tests/core/<package>/.../test_*.py tests core/<package>/...; a test file directly in tests/core/
has no folder to say what it tests, so its name does: test_<module>.py or test_<module>_<topic>.py
for a module or package directly in core/.
"""

from pathlib import Path

from tests.conftest import ROOT

CORE = ROOT / "core"
TESTS = ROOT / "tests" / "core"


def core_test_files():
    return sorted(TESTS.rglob("test_*.py"))


def is_package(folder: Path) -> bool:
    return (folder / "__init__.py").is_file()


def test_every_test_folder_under_tests_core_is_a_package_of_core():
    strays = []
    for path in core_test_files():
        folder = path.parent.relative_to(TESTS)
        if folder.parts and not is_package(CORE / folder):
            strays.append(f"{path.relative_to(ROOT)}: core/{folder.as_posix()} is not a package")
    assert strays == []


def test_every_test_file_directly_in_tests_core_is_named_after_a_module_of_core():
    modules = {p.stem for p in CORE.glob("*.py") if p.stem != "__init__"} | {p.name for p in CORE.iterdir() if is_package(p)}
    strays = []
    for path in core_test_files():
        if path.parent != TESTS:
            continue
        subject = path.stem.removeprefix("test_")
        if not any(subject == module or subject.startswith(module + "_") for module in modules):
            strays.append(str(path.relative_to(ROOT)))
    assert strays == []


def test_the_layout_rules_see_the_tests():
    # Guards the two tests above against passing because they looked at an empty or wrong folder.
    files = core_test_files()
    assert TESTS / "test_workspace.py" in files
    assert any(path.parent == TESTS / "ingest" for path in files)

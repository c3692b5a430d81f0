"""Warming a workbench before its first question: what gets loaded, and that nothing is recorded."""

from __future__ import annotations

import hashlib
import shutil

from core.warm_up import start_warm_up, warm_up
from tests.core.sql.conftest import CHINOOK_SQLITE


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_warm_up_loads_what_a_first_answer_needs_and_records_nothing(workbench, tmp_path):
    copy = tmp_path / "chinook.sqlite"
    shutil.copyfile(CHINOOK_SQLITE, copy)
    before = digest(copy)
    workbench.sql.add_connection("default", "music", f"sqlite:///{copy}")
    workspace = workbench.workspace()

    warmed = warm_up(workbench)

    assert warmed == ["embedding model", "document search", "knowledge graph", "database questions"]
    assert workbench._embedder.built and workbench._vectors.built
    # the first question's plan starts from a built semantic model and value index (names in the data)
    assert workbench.sql._value_indexes and workbench.sql._models
    assert workspace.sql.history() == []  # nothing ran as a query an analyst would see
    assert workspace.chat.conversations() == []
    assert digest(copy) == before


def test_a_step_that_fails_is_skipped_and_the_rest_still_warm(workbench, tmp_path):
    copy = tmp_path / "chinook.sqlite"
    shutil.copyfile(CHINOOK_SQLITE, copy)
    workbench.sql.add_connection("default", "gone", f"sqlite:///{copy}")
    copy.unlink()  # the database went away after it was connected
    warmed = warm_up(workbench)
    # the database cannot be read, so its step is skipped; the model and the stores are warm anyway
    assert "database questions" not in warmed
    assert warmed[:2] == ["embedding model", "document search"]


def test_the_background_thread_does_not_keep_a_process_alive(workbench):
    thread = start_warm_up(workbench)
    assert thread.daemon
    thread.join(timeout=120)
    assert not thread.is_alive()


def test_warming_is_a_setting_on_by_default(tmp_path):
    import pytest

    from core.errors import ConfigError
    from core.settings import Settings
    from tests.conftest import clean_env

    base = clean_env() | {"AW_DATA_DIR": str(tmp_path)}
    assert Settings.from_env(base).warm_up is True
    assert Settings.from_env(base, AW_WARM_UP="false").warm_up is False
    with pytest.raises(ConfigError, match="AW_WARM_UP"):
        Settings.from_env(base, AW_WARM_UP="sometimes")

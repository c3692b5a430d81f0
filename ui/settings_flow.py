"""The Settings page's connection test and save: what the last test said about which values, and
whether saving them needs a second, informed click.

A test is remembered with the provider and field values it tried. Saving exactly those values after
the test failed first shows why it failed and asks to save anyway (the workbench would then start in
evidence mode until the server answers); values changed since, or never tested, save at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, MutableMapping

_LAST_TEST = "settings::last_test"
_CONFIRM = "settings::confirm_save"

State = MutableMapping[str, Any]


@dataclass(frozen=True)
class ConnectionTest:
    provider: str
    values: tuple[tuple[str, str], ...]
    ok: bool
    message: str


def _values(fields: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((env, str(value)) for env, value in fields.items()))


def remember_test(state: State, provider: str, fields: Mapping[str, str], *, ok: bool, message: str) -> None:
    """Record a connection test of ``provider`` with ``fields`` (env var -> text, no secrets)."""
    state[_LAST_TEST] = ConnectionTest(provider, _values(fields), ok, message)
    state.pop(_CONFIRM, None)


def failed_test(state: State, provider: str, fields: Mapping[str, str]) -> str:
    """Why the last test of exactly these values failed, or '' (it passed, or these values were not tested)."""
    last = state.get(_LAST_TEST)
    if last is None or last.ok or (last.provider, last.values) != (provider, _values(fields)):
        return ""
    return last.message


def wants_save(state: State, *, clicked: bool, failure: str) -> bool:
    """Whether "Save" should save now; after a failed test the first click asks for confirmation instead."""
    if not clicked:
        return False
    if failure:
        state[_CONFIRM] = True
        return False
    return True


def awaiting_confirmation(state: State, failure: str) -> bool:
    """Whether the page should ask "save anyway?" (a failed test's values, Save clicked once)."""
    if not failure:
        state.pop(_CONFIRM, None)
        return False
    return bool(state.get(_CONFIRM))


def saved(state: State) -> None:
    state.pop(_CONFIRM, None)


def cancel(state: State) -> None:
    state.pop(_CONFIRM, None)

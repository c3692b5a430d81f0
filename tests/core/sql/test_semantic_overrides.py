"""The analyst's additions to a semantic model: checked against the schema with specific errors, saved as
versions, and read by the planner (synonyms, other spellings of values, metrics with a definition)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from core.errors import InvalidInput

TODAY = dt.date(2026, 1, 15)

ADDITIONS = """
synonyms:
  staff: Employee
  songs: Track
  job title: Employee.Title
values:
  Customer.State:
    California: CA
metrics:
  - name: hours of music
    definition: SUM(Track.Milliseconds / 3600000.0)
    synonyms: [listening time]
    unit: hours
notes:
  - Tracks include TV episodes.
"""


@pytest.fixture
def chinook_sql(workbench, chinook):
    workspace = workbench.workspace("model")
    workspace.sql.add_connection("chinook", chinook.url)
    return workspace.sql


def plain(sqlite_chinook, sql):
    with sqlite3.connect(f"file:{sqlite_chinook.url.removeprefix('sqlite:///')}?mode=ro", uri=True) as db:
        return db.execute(sql).fetchall()


def test_without_additions_the_export_is_a_commented_starting_file(chinook_sql):
    text = chinook_sql.semantic_yaml()
    assert "synonyms: {}" in text and "revenue" in text, "the derived metrics are listed for reference"
    assert chinook_sql.check_semantic_yaml(text).empty
    assert chinook_sql.semantic_versions() == []


def test_synonyms_values_and_metrics_answer_questions_on_every_engine(chinook_sql, sqlite_chinook):
    assert chinook_sql.plan("How many staff are there?", today=TODAY).plan is None, "unknown before"
    version = chinook_sql.save_semantic_yaml(ADDITIONS)
    assert version.version == 1
    staff = chinook_sql.ask("How many staff are there?", today=TODAY)
    assert staff.source == "planned" and staff.result.rows[0][0] == 8
    titled = chinook_sql.ask("How many staff have each job title?", today=TODAY)
    assert sorted((str(t), n) for t, n in titled.result.rows) == sorted(
        (str(t), n) for t, n in plain(sqlite_chinook, "SELECT Title, COUNT(*) FROM Employee GROUP BY Title"))
    california = chinook_sql.ask("How many customers are in California?", today=TODAY)
    assert california.source == "planned", california.message
    assert california.result.rows[0][0] == plain(sqlite_chinook, "SELECT COUNT(*) FROM Customer WHERE State = 'CA'")[0][0]
    hours = chinook_sql.ask("What is the total listening time per genre?", today=TODAY)
    assert hours.source == "planned", hours.message
    expected = plain(sqlite_chinook, "SELECT g.Name, SUM(t.Milliseconds / 3600000.0) FROM Track t "
                                     "JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.GenreId")
    got = dict((n, float(h)) for n, h in hours.result.rows)
    assert got.keys() == dict(expected).keys()
    assert all(abs(got[n] - h) < 0.001 for n, h in expected), "engines round the division differently, not more"
    assert "hours of music" in hours.interpretation


def test_every_save_is_a_new_version_and_old_ones_stay(chinook_sql):
    chinook_sql.save_semantic_yaml("synonyms:\n  staff: Employee\n")
    chinook_sql.save_semantic_yaml(ADDITIONS)
    assert [v.version for v in chinook_sql.semantic_versions()] == [2, 1]
    assert chinook_sql.semantic_version(1).content == "synonyms:\n  staff: Employee\n"
    assert chinook_sql.semantic_yaml() == ADDITIONS, "the text as the analyst wrote it, comments and all"


@pytest.mark.parametrize(("text", "message"), [
    ("synonyms: [staff]", "must map words"),
    ("synonyms:\n  staff: Employees\n", "no table of this database"),
    ("synonyms:\n  boss: Employee.Boss\n", "has no column 'Boss'"),
    ("values:\n  Customer.Country:\n    Brasil: Brazill\n", "holds no value 'Brazill'"),
    ("metrics:\n  - name: x\n", "needs a name and a definition"),
    ("metrics:\n  - name: x\n    definition: Track.Milliseconds\n", "must be one aggregate"),
    ("metrics:\n  - name: x\n    definition: SUM(Track.Milliseconds * Invoice.Total)\n", "all of one table"),
    ("metrics:\n  - name: x\n    definition: SUM((SELECT 1))\n", "only columns"),
    ("metrics:\n  - name: x\n    definition: SUM(load_extension('x'))\n", "not allowed"),
    ("metrics:\n  - name: x\n    definition: SUM(Track.Nope)\n", "no column 'Nope'"),
    ("dimensions: {}\n", "Unknown section 'dimensions'"),
    ("synonyms: {staff: Employee\n", "not valid YAML at line"),
])
def test_mistakes_are_refused_with_what_is_wrong_and_nothing_is_saved(chinook_sql, text, message):
    with pytest.raises(InvalidInput, match=message):
        chinook_sql.save_semantic_yaml(text)
    assert chinook_sql.semantic_versions() == []


def test_removing_the_connection_removes_its_versions(workbench, chinook):
    sql = workbench.workspace("model2").sql
    sql.add_connection("chinook", chinook.url)
    sql.save_semantic_yaml(ADDITIONS)
    sql.remove_connection("chinook")
    sql.add_connection("chinook", chinook.url)
    assert sql.semantic_versions() == []

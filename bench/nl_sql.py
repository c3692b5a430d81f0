"""How often a plain-language database question gets the right answer, a wrong one, or none (issue 13).

    .venv/bin/python bench/nl_sql.py [--db chinook|demo|demo-shipped ...] [--pairs N] [--json]

A fresh workbench in a temporary data dir, with no LLM (AW_LLM_PROVIDER=none), answers the
evaluation questions of tests/core/sql/nl_questions.py (Chinook, the real music-store database
in ../shared/data/external/chinook, read in place) and nl_questions_demo.py (the generated demo),
each through ``workbench.workspace(name).sql.ask(question)``. Each answer is graded against its
gold query, run on the same file with plain SQLAlchemy (tests/core/sql/nl_scoring.py):

- correct: the answer's rows equal the gold rows (multisets of values rounded to 2 decimals,
  column names ignored, extra columns allowed; in order for rankings and ordered lists);
- wrong: it answered and the rows differ, or it answered a question the data cannot answer;
- abstained: ``answer.abstained``, or ``ask`` raised (the "cannot answer" errors; any other
  exception is listed apart as a product error).

Databases, each in its own workspace:

- chinook: the schema trained (``sql.train_schema()``) and nothing else;
- demo: the demo database with only its schema trained;
- demo-shipped: the demo as the product ships it (``load_demo_database``: schema, the demo's
  documentation notes and its certified question/SQL pairs), which is what a new user meets.

``--pairs N`` first trains N answerable questions of each set as question/SQL pairs
(``sql.add_question_sql(question, gold_sql)``, no parameters) and evaluates on the rest: the
issue's second measurement. The N are taken one category at a time in turn (the first count, the
first filtered count, the first numeric filter, ...), so they cover N kinds of question rather
than the N plain counts each set opens with; a pair the product refuses is reported and skipped.

Latency is of ``ask`` end to end, nothing excluded: embedding the question, matching or planning,
running the SQL through the guarded runner and writing the history row. The exit code is always
0: this measures; the zero-wrong promise is enforced by tests/core/sql/test_nl_eval.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

from _common import ROOT, machine, ms, percentile

CHINOOK = ROOT.parent / "shared" / "data" / "external" / "chinook" / "Chinook_Sqlite.sqlite"
DATABASES = ("chinook", "chinook-fresh", "demo", "demo-shipped")


def log(*parts: object) -> None:
    """The report goes to stderr under --json (stdout then carries only the JSON), else stdout."""
    print(*parts, file=sys.stderr if REPORT_TO_STDERR else sys.stdout, flush=True)


REPORT_TO_STDERR = False


def build_workbench_without_llm(data_dir: str):
    from core.settings import Settings
    from core.workbench import build_workbench

    env = {k: v for k, v in os.environ.items() if not k.startswith("AW_")}
    return build_workbench(Settings.from_env(env, AW_DATA_DIR=data_dir, AW_LLM_PROVIDER="none"))


def read_only_url(path: Path) -> str:
    """A URL plain SQLAlchemy opens read-only, for the gold queries (the shared file is not ours)."""
    return f"sqlite:///file:{path}?mode=ro&uri=true"


def connect_chinook(workbench, scratch: Path):
    """Chinook in workspace "chinook", read in place; a copy in ``scratch`` only if the access policy
    refuses the shared path (AW_SQL_SQLITE_ROOTS set in the environment would not reach here)."""
    from core.errors import ConfigError

    workspace = workbench.workspace("chinook")
    path = CHINOOK
    try:
        workspace.sql.add_connection("chinook", f"sqlite:///{path}")
    except ConfigError as refused:
        path = scratch / CHINOOK.name
        shutil.copyfile(CHINOOK, path)
        log(f"the access policy refused {CHINOOK} ({refused}); using a copy in {path}")
        workspace.sql.add_connection("chinook", f"sqlite:///{path}")
    workspace.sql.train_schema()
    return workspace, read_only_url(path), "schema only"


def connect_demo(workbench, *, shipped: bool):
    from core.demo import DB_FILENAME, generate_demo
    from core.demo.load import load_demo_database
    from tests.core.sql.nl_questions_demo import DEMO_TODAY

    demo_dir = workbench.settings.sql.demo_db_path.parent
    database = demo_dir / DB_FILENAME
    if not database.exists():
        generate_demo(demo_dir, today=DEMO_TODAY)
    if shipped:
        workspace = workbench.workspace()
        load = load_demo_database(workspace, demo_dir)
        training = f"as shipped: schema, {load.notes} notes, {load.certified_queries} certified pairs"
    else:
        workspace = workbench.workspace("demo-schema")
        workspace.sql.add_connection("demo", f"sqlite:///{database}")
        workspace.sql.train_schema()
        training = "schema only"
    return workspace, read_only_url(database), training


def pair_order(questions) -> list:
    """The answerable questions, one category at a time in turn (the first count, the first filter,
    ...), so N pairs cover N kinds of question instead of being the N counts the set opens with."""
    by_category: dict[str, list] = {}
    for question in questions:
        if question.answerable:
            by_category.setdefault(question.category, []).append(question)
    columns = list(by_category.values())
    return [column[row] for row in range(max(map(len, columns), default=0)) for column in columns if row < len(column)]


def train_pairs(workspace, questions, count: int) -> tuple[list, list[str]]:
    """Train the first ``count`` questions of ``pair_order`` that the product accepts as pairs;
    returns the trained questions and the refusals (question: reason)."""
    from core.errors import WorkbenchError

    trained, refused = [], []
    for question in pair_order(questions):
        if len(trained) >= count:
            break
        try:
            workspace.sql.add_question_sql(question.question, question.gold_sql)
            trained.append(question)
        except WorkbenchError as error:
            refused.append(f"{question.question}: {' '.join(str(error).split())[:200]}")
    return trained, refused


def percent(part: int, whole: int) -> str:
    return f"{part:>3} ({100 * part / whole:5.1f}%)" if whole else f"{part:>3}"


def report(name: str, training: str, outcomes, trained, refused) -> dict:
    from tests.core.sql.nl_scoring import tally

    counts = tally(outcomes)
    answerable = sum(o.question.answerable for o in outcomes)
    unanswerable = len(outcomes) - answerable
    seconds = [o.seconds for o in outcomes]
    log(f"\n== {name} ({training}, no LLM): {len(outcomes)} questions evaluated, {answerable} answerable, "
        f"{unanswerable} not" + (f"; {len(trained)} question/SQL pairs trained first and left out" if trained else ""))
    for line in refused:
        log(f"   pair refused by the product: {line}")
    log(f"{'':<16} {'correct':>14} {'wrong':>14} {'abstained':>14}")
    log(f"{'answerable':<16} {percent(counts['answerable_correct'], answerable):>14} "
        f"{percent(counts['answerable_wrong'], answerable):>14} "
        f"{percent(counts['answerable_abstained'], answerable):>14}")
    log(f"{'not answerable':<16} {'-':>14} {percent(counts['unanswerable_wrong'], unanswerable):>14} "
        f"{percent(counts['unanswerable_abstained'], unanswerable):>14}")
    log(f"wrong answers in all: {counts['wrong']} of {len(outcomes)}")
    by_category: dict[str, Counter] = {}
    for outcome in outcomes:
        by_category.setdefault(outcome.question.category, Counter())[outcome.outcome] += 1
    log("per category (correct/wrong/abstained): " + ", ".join(
        f"{category} {c['correct']}/{c['wrong']}/{c['abstained']}" for category, c in by_category.items()))
    wrong = [o for o in outcomes if o.outcome == "wrong"]
    if wrong:
        log("wrong:")
        for outcome in wrong:
            sql = " ".join(outcome.sql.split())
            log(f"  - {outcome.question.question} [{outcome.question.category}, {outcome.source}, "
                f"{outcome.rows} rows]\n      {sql}")
    errors = [o for o in outcomes if o.error]
    if errors:
        log("product errors (graded abstained):")
        for outcome in errors:
            log(f"  - {outcome.question.question}: {outcome.error}: {outcome.message}")
    if seconds:
        log(f"ask latency over the {len(seconds)} questions, nothing excluded (embedding, matching/planning, "
            f"running the SQL, history): p50 {ms(percentile(seconds, 50))}, p95 {ms(percentile(seconds, 95))}")
    return {"training": training, "pairs_trained": [q.question for q in trained], "pairs_refused": refused,
            "counts": counts,
            "latency_ms": {"p50": round(percentile(seconds, 50) * 1000, 2) if seconds else None,
                           "p95": round(percentile(seconds, 95) * 1000, 2) if seconds else None},
            "outcomes": [o.as_dict() for o in outcomes]}


def evaluate_database(workbench, name: str, pairs: int, scratch: Path) -> dict:
    from tests.core.sql.nl_questions import CHINOOK_QUESTIONS, CHINOOK_TODAY
    from tests.core.sql.nl_questions_demo import DEMO_QUESTIONS, DEMO_TODAY
    from tests.core.sql.nl_questions_fresh import FRESH_QUESTIONS
    from tests.core.sql.nl_scoring import evaluate, plain_rows

    started = time.perf_counter()
    if name.startswith("chinook"):
        workspace, gold_url, training = connect_chinook(workbench, scratch)
        questions, today = (FRESH_QUESTIONS if name == "chinook-fresh" else CHINOOK_QUESTIONS), CHINOOK_TODAY
    else:
        workspace, gold_url, training = connect_demo(workbench, shipped=name == "demo-shipped")
        questions, today = DEMO_QUESTIONS, DEMO_TODAY
    trained, refused = train_pairs(workspace, questions, pairs) if pairs else ([], [])
    log(f"{name}: connected and trained in {time.perf_counter() - started:.1f} s")
    held_out = [q for q in questions if q not in trained]
    outcomes = evaluate(workspace.sql, held_out, lambda sql: plain_rows(gold_url, sql), today=today)
    return report(name, training + (f" + {len(trained)} pairs" if trained else ""), outcomes, trained, refused)


def main() -> int:
    global REPORT_TO_STDERR
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", action="append", choices=DATABASES,
                        help="A database to evaluate (repeatable; default: all three).")
    parser.add_argument("--pairs", type=int, default=0,
                        help="Train N answerable questions (one per category in turn) as question/SQL pairs, "
                             "then evaluate on the rest.")
    parser.add_argument("--json", action="store_true",
                        help="Print the per-question outcomes as JSON on stdout (the report goes to stderr).")
    args = parser.parse_args()
    REPORT_TO_STDERR = args.json
    names = args.db or list(DATABASES)
    if "chinook" in names and not CHINOOK.exists():
        log(f"Chinook not found at {CHINOOK} (it lives in ../shared/data/external): skipped")
        names = [n for n in names if n != "chinook"]

    data_dir = tempfile.mkdtemp(prefix="aw-bench-nl-")
    scratch = Path(tempfile.mkdtemp(prefix="aw-bench-nl-scratch-"))
    log(f"data dir: {data_dir}; {machine()}")
    results: dict[str, dict] = {}
    workbench = build_workbench_without_llm(data_dir)
    try:
        for name in names:
            try:
                results[name] = evaluate_database(workbench, name, args.pairs, scratch)
            except Exception:  # a benchmark reports a broken setup and goes on to the next database
                log(f"\n== {name}: the evaluation could not run:\n{traceback.format_exc()}")
                results[name] = {"error": traceback.format_exc()}
    finally:
        workbench.close()
        shutil.rmtree(scratch, ignore_errors=True)
    if args.json:
        print(json.dumps({"machine": machine(), "pairs": args.pairs, "databases": results}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

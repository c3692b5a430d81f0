"""Latency of answering database questions from certified queries, on the demo database.

    .venv/bin/python bench/sql.py [--rounds N]

The demo (retail.db for a fixed "today") is generated into a temporary data dir, connected and
trained; model load, training and one warm-up round are excluded. Measured, over the same
questions (the demo questions and paraphrases, plus ones that abstain):

- baseline: ``embedder.embed_query(question)``, the bare cost of embedding one question;
- match: ``SqlService.match_certified`` (embed, nearest trained pairs, conflict checks, parameters
  filled from the question) without running anything;
- ask: ``SqlService.ask`` end to end (match, then the certified SQL through the GuardedRunner,
  chart choice and the query-history row), or the abstention when nothing fits.

The questions cycle through more than the adapter's small embedding cache holds, so every match
embeds its question. Ratios are against the baseline's p50 measured in the same run. (The guard's own overhead is
measured by bench/sql_guard.py.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from _common import fresh_workbench, machine, ms, percentile

TODAY = dt.date(2025, 3, 12)
QUESTIONS = [
    "How many orders came from Chennai this week?",
    "number of orders from Chennai in the current week",
    "how many Chennai orders this week",
    "How many orders came from chenai this week?",
    "orders by city last month",
    "revenue per category in 2024",
    "which carrier had the most late deliveries last week",
    "Which customers complained about delivery last month and what products did they order?",
    "complaints by category this year",
    "top 5 customers by spend",
    "Show me daily revenue",
    "How many orders came from Atlantis this week?",  # abstains: unknown city
    "What is the average price of products?",  # abstains: nothing close enough
]


def timed(fn, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        for question in QUESTIONS:
            started = time.perf_counter()
            fn(question)
            samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10, help="Times each question is asked (default 10).")
    args = parser.parse_args()

    from core.demo import generate_demo
    from core.demo.load import load_demo_database

    workbench = fresh_workbench()
    try:
        demo_dir = workbench.settings.sql.demo_db_path.parent
        generate_demo(demo_dir, today=TODAY)
        started = time.perf_counter()
        load = load_demo_database(workbench.workspace(), demo_dir)
        print(f"{machine()}; setup (model load, introspection, training): {time.perf_counter() - started:.1f} s")
        print(load.describe())
        service, embedder = workbench.sql, workbench.embedder

        def match(question):
            return service.match_certified("default", question, today=TODAY)

        def ask(question):
            return service.ask("default", question, today=TODAY)

        for warm_up in (embedder.embed_query, match, ask):
            timed(warm_up, 1)
        answered = sum(not ask(q).abstained for q in QUESTIONS)
        results = {
            "baseline: embed_query": timed(embedder.embed_query, args.rounds),
            "match_certified": timed(match, args.rounds),
            "ask (end to end)": timed(ask, args.rounds),
        }
        base = percentile(results["baseline: embed_query"], 50)
        print(f"{len(QUESTIONS)} questions x {args.rounds} rounds; {answered} answered from certified queries, "
              f"{len(QUESTIONS) - answered} abstain")
        print(f"{'step':<24} {'p50':>10} {'p95':>10} {'p50 / baseline':>15}")
        for label, samples in results.items():
            p50, p95 = percentile(samples, 50), percentile(samples, 95)
            print(f"{label:<24} {ms(p50):>10} {ms(p95):>10} {p50 / base:>14.1f}x")
    finally:
        workbench.close()


if __name__ == "__main__":
    main()

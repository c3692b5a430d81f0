"""Ingestion throughput on the PEP corpus, against raw model.encode on the same chunks.

    .venv/bin/python bench/ingest.py [--limit N]

Prints documents/s and chunks/s end to end (parse, chunk, embed, Chroma, keyword corpus),
then encodes exactly the same chunk texts with the bare model in the same process, and
prints the ratio. Goal: the pipeline costs under 10% over raw embedding.
"""

from __future__ import annotations

import argparse
import time

from _common import PEPS, fresh_workbench, machine, require


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=0, help="Only the first N PEPs (default: all).")
    parser.add_argument("--with-graph", action="store_true",
                        help="Keep knowledge-graph extraction in the pipeline (measured separately by bench/graph.py).")
    args = parser.parse_args()
    paths = sorted(require(PEPS).glob("*.rst"))
    if args.limit:
        paths = paths[: args.limit]
    total_bytes = sum(p.stat().st_size for p in paths)
    workbench = fresh_workbench()
    embedder = workbench.embedder
    embedder.embed(["warm up the model before timing"])  # model load is not ingestion cost
    workspace = workbench.workspace("bench")
    if not args.with_graph:
        # The goal compares the document path (parse, chunk, embed, Chroma, keyword corpus) with
        # raw embedding; spaCy extraction has its own benchmark.
        workbench.ingestion.indexers.clear()

    started = time.perf_counter()
    results = workspace.ingest_paths(paths)
    pipeline_seconds = time.perf_counter() - started
    ingested = [r for r in results if r.status == "ingested"]
    chunk_texts = [c.text for d in workspace.documents() for c in workspace.chunks(d.id)]

    started = time.perf_counter()
    for start in range(0, len(chunk_texts), embedder.batch_size):
        embedder.embed(chunk_texts[start:start + embedder.batch_size])
    raw_seconds = time.perf_counter() - started

    errors = [r for r in results if r.status == "error"]
    print(f"machine: {machine()}")
    print(f"graph extraction in the pipeline: {'yes' if args.with_graph else 'no'}")
    print(f"corpus: {len(paths)} PEPs, {total_bytes / 1e6:.1f} MB; ingested {len(ingested)}, errors {len(errors)}")
    for r in errors[:5]:
        print(f"  error: {r.file}: {r.error}")
    print(f"chunks: {len(chunk_texts)}")
    print(f"pipeline: {pipeline_seconds:.1f} s = {len(ingested) / pipeline_seconds:.2f} documents/s, {len(chunk_texts) / pipeline_seconds:.1f} chunks/s")
    print(f"raw model.encode (same chunks, same batch size): {raw_seconds:.1f} s = {len(chunk_texts) / raw_seconds:.1f} chunks/s")
    print(f"ratio pipeline/raw time: {pipeline_seconds / raw_seconds:.3f} (overhead {100 * (pipeline_seconds / raw_seconds - 1):.1f}%, goal < 10%)")


if __name__ == "__main__":
    main()

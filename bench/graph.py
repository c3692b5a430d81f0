"""Knowledge-graph benchmark: extraction throughput, rendering time, 2-hop query latency.

    .venv/bin/python bench/graph.py [--docs N] [--chunks N] [--queries N]

1. Extraction (no LLM) on PEP paragraphs packed into ~200-word chunks, against a baseline of
   the same spaCy pipeline's ``nlp.pipe`` alone on the same texts: the ratio is what entity
   normalisation, the gazetteer-free merge and co-occurrence relations cost on top of NER.
2. Loading the extracted graph into LadybugDB (informational).
3. 2-hop neighbourhood latency (p50/p95) on LadybugDB, against 1-hop queries on the same
   entities in the same run.
4. Rendering a 500- and a 2,000-node subgraph, against plain pyvis ``generate_html`` on the
   same nodes and edges (the cost of our styling, legend and offline post-processing).
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
import time
from pathlib import Path

from _common import PEPS, machine, median, ms, percentile, require

from core.records import GraphEdge, GraphNode, Subgraph

WORDS_PER_CHUNK = 150  # about 200 tokens of the embedding model's tokenizer


def pep_chunks(paths: list[Path], limit: int) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """``(document_id, title, [(chunk_id, text)])`` per PEP: paragraphs packed up to ~200 tokens."""
    documents, total = [], 0
    for path in paths:
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", path.read_text(encoding="utf-8", errors="replace"))]
        chunks, current = [], []
        for paragraph in filter(None, paragraphs):
            current.append(paragraph)
            if sum(len(p.split()) for p in current) >= WORDS_PER_CHUNK:
                chunks.append(" ".join(current))
                current = []
        if current:
            chunks.append(" ".join(current))
        chunks = chunks[: max(0, limit - total)]
        if not chunks:
            break
        documents.append((path.stem, path.stem.upper(), [(f"{path.stem}:{i}", text) for i, text in enumerate(chunks)]))
        total += len(chunks)
    return documents


def timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    outcome = action()
    return time.perf_counter() - start, outcome


def bench_extraction(documents) -> object:
    from core.graph.extraction import EntityExtractor

    chunks = [chunk for _, _, doc_chunks in documents for chunk in doc_chunks]
    texts = [text for _, text in chunks]
    extractor = EntityExtractor()
    nlp = extractor.nlp  # loading the model is not extraction cost
    list(nlp.pipe(texts[:32]))
    base_seconds, _ = timed(lambda: list(nlp.pipe(texts, batch_size=extractor.batch_size)))
    seconds, result = timed(lambda: extractor.extract(chunks))
    print(f"\n1. Extraction on {len(chunks)} chunks ({sum(len(t.split()) for t in texts)} words)")
    print(f"   baseline spaCy nlp.pipe alone : {len(chunks) / base_seconds:8.1f} chunks/s")
    print(f"   EntityExtractor.extract       : {len(chunks) / seconds:8.1f} chunks/s")
    print(f"   ratio extract / baseline time : {seconds / base_seconds:8.2f}x")
    print(f"   found {len(result.entities)} entities, {len(result.relations)} relations")
    return result


def bench_queries(documents, result, queries: int) -> None:
    from core.graph.extraction import write_extraction
    from core.graph.ladybug_store import LadybugGraphStore

    store = LadybugGraphStore(Path(tempfile.mkdtemp(prefix="aw-bench-graph-")) / "graph")
    ws = "bench"

    def load() -> None:
        for document_id, title, chunks in documents:
            store.upsert_document(ws, document_id, title)
            store.upsert_chunks(ws, document_id, [(cid, text, i) for i, (cid, text) in enumerate(chunks)])
        write_extraction(store, ws, result)

    seconds, _ = timed(load)
    stats = store.stats(ws, top=5)
    print(f"\n2. Loading into LadybugDB: {seconds:.1f} s ({stats.entities} entities, {stats.relations} relations, "
          f"{stats.mentions} mentions)")
    print("   most connected: " + ", ".join(f"{node.name} ({degree})" for node, degree in stats.top_entities))

    rng = random.Random(7)
    keys = [entity.key for entity in result.entities]
    sample = [rng.choice(keys) for _ in range(queries)] + [node.key for node, _ in stats.top_entities]
    one_hop, two_hop, sizes = [], [], []
    for key in sample:
        one_hop.append(timed(lambda: store.neighbors(ws, key, 1, limit_nodes=200))[0])
        seconds, subgraph = timed(lambda: store.neighbors(ws, key, 2, limit_nodes=200))
        two_hop.append(seconds)
        sizes.append(len(subgraph.nodes))
    print(f"\n3. Neighbourhood queries on LadybugDB ({len(sample)} entities, limit 200 nodes, "
          f"median 2-hop size {median(sizes):.0f} nodes)")
    print(f"   baseline 1-hop : p50 {ms(percentile(one_hop, 50))}  p95 {ms(percentile(one_hop, 95))}")
    print(f"   2-hop          : p50 {ms(percentile(two_hop, 50))}  p95 {ms(percentile(two_hop, 95))}")
    print(f"   ratio 2-hop / 1-hop p50: {percentile(two_hop, 50) / percentile(one_hop, 50):.2f}x")
    store.close()


def synthetic_subgraph(size: int) -> Subgraph:
    """A connected graph of ``size`` entities and about 2 relations each, the same every run."""
    rng = random.Random(size)
    types = ["PERSON", "ORG", "PLACE", "PRODUCT", "DATE", "MONEY"]
    nodes = tuple(GraphNode(f"e{i}", f"Entity {i}", types[i % len(types)], (f"E{i}",)) for i in range(size))
    edges = {(f"e{rng.randrange(i)}", f"e{i}") for i in range(1, size)}
    while len(edges) < 2 * size:
        a, b = sorted(rng.sample(range(size), 2))
        edges.add((f"e{a}", f"e{b}"))
    return Subgraph(nodes, tuple(GraphEdge(a, b, "MENTIONED_WITH", float(rng.randint(1, 5)), ("c",)) for a, b in edges))


def plain_pyvis(subgraph: Subgraph) -> str:
    from pyvis.network import Network

    network = Network(height="650px", directed=True, cdn_resources="in_line")
    for node in subgraph.nodes:
        network.add_node(node.key, label=node.name)
    for edge in subgraph.edges:
        network.add_edge(edge.source, edge.target)
    return network.generate_html()


def bench_render() -> None:
    from core.graph.render import render_subgraph_html

    print("\n4. Rendering (HTML generation in Python; the browser lays it out afterwards)")
    for size in (500, 2000):
        subgraph = synthetic_subgraph(size)
        render_subgraph_html(subgraph)  # warm the template cache
        base = min(timed(lambda: plain_pyvis(subgraph))[0] for _ in range(3))
        ours, page = min((timed(lambda: render_subgraph_html(subgraph)) for _ in range(3)), key=lambda t: t[0])
        print(f"   {size:5d} nodes, {len(subgraph.edges):5d} edges: render_subgraph_html {ms(ours)} "
              f"(page {len(page) / 1e6:.1f} MB), baseline plain pyvis {ms(base)}, ratio {ours / base:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=80, help="PEPs to sample (default 80).")
    parser.add_argument("--chunks", type=int, default=1200, help="Most chunks to extract from (default 1200).")
    parser.add_argument("--queries", type=int, default=100, help="Random entities to query (default 100).")
    args = parser.parse_args()
    paths = sorted(require(PEPS).glob("*.rst"))
    step = max(1, len(paths) // args.docs)
    documents = pep_chunks(paths[::step][: args.docs], args.chunks)
    print(f"Knowledge graph benchmark on {machine()}: {len(documents)} PEPs")
    result = bench_extraction(documents)
    bench_queries(documents, result, args.queries)
    bench_render()


if __name__ == "__main__":
    main()

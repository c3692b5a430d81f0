"""Embedding throughput and memory: torch against ONNX Runtime (fp32 and int8) on the same chunks.

    .venv/bin/python bench/embed.py [--chunks 1500] [--rounds 3] [--models-dir DIR]

The chunks are PEPs parsed and chunked by the product's own parser and chunker (200 tokens,
overlap 30, the defaults). Each backend runs in a process of its own, so each one's resident
memory is its own (the ONNX ones never import torch); the processes take turns, round after
round, so a change in the machine's load hits all three alike. Printed per backend: chunks/s
(median over rounds, wall clock), CPU seconds per 1,000 chunks, the ratio to torch in each round,
resident memory after the runs, and the cosine of its vectors to torch's. Issue 19's goal:
ONNX >= 1.8x torch chunks/s. The one-time ONNX export (into --models-dir, reused by later runs)
is made before timing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import PEPS, ROOT, machine, require

BACKENDS = ("torch", "onnx", "onnx-int8")


def make_chunks(limit: int) -> list[str]:
    """PEP chunks as ingestion makes them, taken from across the corpus (every few PEPs)."""
    from core.embeddings import SentenceTransformerEmbedder, packaged_model_path
    from core.ingest.chunking import chunk_blocks
    from core.ingest.parsers import parse_document

    counter = SentenceTransformerEmbedder(packaged_model_path(), backend="onnx", models_dir=Path("unused"))
    paths = sorted(require(PEPS).glob("*.rst"))
    chunks: list[str] = []
    for path in paths[::7]:
        document = parse_document(path.read_bytes(), path.name, max_bytes=50 * 1024 * 1024)
        drafts = chunk_blocks(document.blocks, count_tokens=counter.count_tokens,
                              count_tokens_many=counter.count_tokens_many, target_tokens=200, overlap_tokens=30)
        chunks.extend(d.text for d in drafts)
        if len(chunks) >= limit:
            break
    return chunks[:limit]


def worker(backend: str, chunks_file: Path, models_dir: Path, vectors_file: Path) -> None:
    """One backend in this process: answers ``run`` with one timed pass, ``rss`` with its memory."""
    import numpy as np

    from core.embeddings import SentenceTransformerEmbedder, packaged_model_path

    chunks = json.loads(chunks_file.read_text(encoding="utf-8"))
    embedder = SentenceTransformerEmbedder(packaged_model_path(), 64, backend, models_dir)
    embedder.embed(chunks[:64])  # the model load (and, once, the ONNX export) is not throughput
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "run":
            wall, cpu = time.perf_counter(), time.process_time()
            vectors = np.concatenate([embedder.embed(chunks[i:i + 64]) for i in range(0, len(chunks), 64)])
            reply = {"seconds": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
            np.save(vectors_file, vectors)
        elif command == "rss":
            reply = {**_memory_mb(), "torch_imported": "torch" in sys.modules}
        else:
            return
        print(json.dumps(reply), flush=True)


def _memory_mb() -> dict:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return {"rss_mb": fields.get("VmRSS", 0.0), "peak_mb": fields.get("VmHWM", 0.0)}


class Worker:
    def __init__(self, backend: str, chunks_file: Path, models_dir: Path, scratch: Path):
        self.backend = backend
        self.vectors_file = scratch / f"{backend}.npy"
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--worker", backend, "--chunks-file", str(chunks_file),
             "--models-dir", str(models_dir), "--vectors-file", str(self.vectors_file)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        self.read()  # ready

    def ask(self, command: str) -> dict:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.read()

    def read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            sys.exit(f"the {self.backend} worker stopped (see its error above)")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--models-dir", default="", help="Where the ONNX exports are kept (default: data/models, "
                                                         "where the workbench keeps them).")
    parser.add_argument("--worker", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--chunks-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--vectors-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    models_dir = Path(args.models_dir or ROOT / "data" / "models").resolve()
    if args.worker:
        worker(args.worker, args.chunks_file, models_dir, args.vectors_file)
        return

    import numpy as np

    print(f"machine: {machine()}")
    chunks = make_chunks(args.chunks)
    print(f"chunks: {len(chunks)} PEP chunks of up to 200 tokens (the product's parser and chunker), batch 64")
    print(f"ONNX exports in: {models_dir}")
    with tempfile.TemporaryDirectory(prefix="aw-bench-embed-") as scratch:
        chunks_file = Path(scratch) / "chunks.json"
        chunks_file.write_text(json.dumps(chunks), encoding="utf-8")
        workers = [Worker(backend, chunks_file, models_dir, Path(scratch)) for backend in BACKENDS]
        try:
            runs: dict[str, list[dict]] = {w.backend: [] for w in workers}
            for _ in range(args.rounds):
                for w in workers:
                    runs[w.backend].append(w.ask("run"))
            vectors = {w.backend: np.load(w.vectors_file) for w in workers}
            memory = {w.backend: w.ask("rss") for w in workers}
        finally:
            for w in workers:
                w.close()
    torch_wall = [r["seconds"] for r in runs["torch"]]
    torch_cpu = statistics.median(r["cpu"] for r in runs["torch"])
    print("backend     chunks/s  vs torch: median (each round)  CPU s/1k chunks  vs torch  RSS MB  peak MB  "
          "torch loaded  cosine to torch min / mean")
    for backend in BACKENDS:
        wall = [r["seconds"] for r in runs[backend]]
        ratios = ", ".join(f"{t / s:.2f}" for t, s in zip(torch_wall, wall))
        ratio = statistics.median(t / s for t, s in zip(torch_wall, wall))
        cpu = statistics.median(r["cpu"] for r in runs[backend])
        cosine = (vectors[backend] * vectors["torch"]).sum(axis=1)
        m = memory[backend]
        print(f"{backend:<10} {len(chunks) / statistics.median(wall):>9.1f}  {ratio:>5.2f}x ({ratios}){'':<{max(0, 20 - len(ratios))}}"
              f"{cpu / len(chunks) * 1000:>16.1f}  {torch_cpu / cpu:>7.2f}x {m['rss_mb']:>7.0f} {m['peak_mb']:>8.0f}  "
              f"{'yes' if m['torch_imported'] else 'no':>12}  {cosine.min():.5f} / {cosine.mean():.5f}")
    print("goal: ONNX >= 1.8x torch chunks/s")


if __name__ == "__main__":
    main()

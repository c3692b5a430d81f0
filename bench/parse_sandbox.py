"""Cost of parsing each file in the sandbox (a forked child with time and memory limits) against
parsing the same file in this process.

The baseline calls ``parse_accepted`` directly (the parser with no limits, as before the
sandbox); the sandboxed side is ``parse_document``, which runs the same function in a child of
the parse server. Both run in this process on the same files: PEPs (text) from ../shared and
real PDFs, after a warm-up that also starts the parse server. Run:
``.venv/bin/python bench/parse_sandbox.py [ITERATIONS]``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python bench/parse_sandbox.py` puts bench/, not the repo, on the path

from core.ingest.parsers import ParseLimits, parse_accepted, parse_document  # noqa: E402
from core.errors import WorkbenchError  # noqa: E402
from core.ingest.parsers import _check_size_and_extension  # noqa: E402

EXTERNAL = ROOT.parent / "shared" / "data" / "external"
MAX_BYTES = 50 * 1024 * 1024
WARM_UP = 3


def samples() -> list[Path]:
    """Three PEPs and the three largest PDFs of the samples that have a text layer."""
    peps = sorted((EXTERNAL / "peps").glob("pep-*.rst"))[:3]
    pdfs = []
    for path in sorted((EXTERNAL / "pdf-samples").glob("*.pdf"), key=lambda p: p.stat().st_size, reverse=True):
        try:
            data = path.read_bytes()
            if len(data) <= MAX_BYTES:
                parse_accepted(data, path.name, _check_size_and_extension(data, path.name, MAX_BYTES), None,
                               ParseLimits())
                pdfs.append(path)
        except WorkbenchError:
            continue  # scanned, encrypted or damaged: not a parsing-cost sample
        if len(pdfs) == 3:
            break
    return [*peps, *pdfs]


def median_ms(call, iterations: int) -> float:
    for _ in range(WARM_UP):
        call()
    times = []
    for _ in range(iterations):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(iterations: int) -> None:
    files = samples()
    if not files:
        sys.exit(f"No sample files under {EXTERNAL}")
    limits = ParseLimits()
    print(f"Parsing in the sandbox against in-process, median of {iterations} runs after {WARM_UP} warm-up")
    print(f"{'file':<34} {'KB':>7} {'direct ms':>10} {'sandbox ms':>11} {'overhead ms':>12} {'ratio':>6}")
    for path in files:
        data = path.read_bytes()
        doc_type = _check_size_and_extension(data, path.name, MAX_BYTES)
        direct = median_ms(lambda: parse_accepted(data, path.name, doc_type, None, limits), iterations)
        boxed = median_ms(lambda: parse_document(data, path.name, max_bytes=MAX_BYTES, limits=limits), iterations)
        print(f"{path.name[:34]:<34} {len(data) / 1024:>7.0f} {direct:>10.1f} {boxed:>11.1f} {boxed - direct:>12.1f} "
              f"{boxed / direct:>5.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)

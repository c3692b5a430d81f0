"""Time to train a database's schema: one DDL item per call (as before) against one batch.

    .venv/bin/python bench/schema_training.py [--rounds N]

The Chinook SQLite file in ../shared/data/external/chinook is opened read-only in place,
connected to a workbench on a temporary data dir and introspected once (11 tables; the time is
printed but not part of either figure). Model load and the first Chroma collection are
excluded by a warm-up. Then each round trains the same tables twice from an empty store:

- baseline, one at a time: ``add_ddl`` per table, i.e. one embedding call, one transaction and
  one vector-store upsert per table (what ``SqlService.train_schema`` did before batching);
- batched: ``WorkbenchVanna.train_schema``, one embedding call and one upsert for all tables.

Each round runs every way once, starting from a different one each time. The ratios are of the
best times in this run: on a shared machine the load of other processes only ever adds time,
so the best of several rounds is the closest to each way's own cost (medians are printed too).
Both store the same ids, texts and metadata (tests/core/sql/test_training.py checks that).
Three more lines time the embedding alone, to show how much of the difference is the model and
how much the stores: one ``embedder.embed`` call per DDL text, one call for all of them (every
text padded to the longest), and the length groups batched training uses (``length_groups``).
"""

from __future__ import annotations

import argparse
import statistics
import time

from _common import ROOT, fresh_workbench, machine, ms, require

from core.sql.training import length_groups

CHINOOK = ROOT.parent / "shared" / "data" / "external" / "chinook" / "Chinook_Sqlite.sqlite"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10, help="Times each way is timed (default 10).")
    args = parser.parse_args()

    workbench = fresh_workbench()
    try:
        sql = workbench.sql
        saved = sql.add_connection("default", "chinook", f"sqlite:///{require(CHINOOK)}")
        started = time.perf_counter()
        schema = sql.schema("default", saved, refresh=True)
        introspection = time.perf_counter() - started
        adapter = sql._adapter(saved)
        tables = schema.tables

        def one_at_a_time() -> None:
            for table in tables:
                adapter.add_ddl(table.ddl(), table=table.name)

        def batched() -> None:
            adapter.train_schema(schema)

        for warm_up in (one_at_a_time, batched):  # loads the model, opens Chroma and its collections
            warm_up()
            adapter.remove_all()

        texts = [table.ddl() for table in tables]
        embedder = workbench.embedder
        groups = length_groups(texts)
        ways = [("one at a time", one_at_a_time), ("batched", batched),
                ("embed each", lambda: [embedder.embed([text]) for text in texts]),
                ("embed all", lambda: embedder.embed(texts)),
                ("embed grouped", lambda: [embedder.embed([texts[i] for i in group]) for group in groups])]
        samples: dict[str, list[float]] = {label: [] for label, _ in ways}
        for round_ in range(args.rounds):
            shift = round_ % len(ways)  # each way runs first in turn: load on the machine hits all alike
            for label, run in ways[shift:] + ways[:shift]:
                adapter.remove_all()
                started = time.perf_counter()
                run()
                samples[label].append(time.perf_counter() - started)
        adapter.remove_all()

        print(f"{machine()}; embedder {workbench.embedder.model_id}; {args.rounds} rounds")
        print(f"Chinook: {len(tables)} tables, introspection {ms(introspection)} (not included below); "
              f"embedding groups: {[len(group) for group in groups]}")
        best = {label: min(values) for label, values in samples.items()}
        for label, value in best.items():
            print(f"  {label:14s} best {ms(value):>10s} ({ms(value / len(tables))} per table), "
                  f"median {ms(statistics.median(samples[label]))}")
        print(f"training: batched is {best['one at a time'] / best['batched']:.1f}x faster than one at a time")
        each = best["embed each"]
        print(f"embedding alone, speed against one call per text: length groups {each / best['embed grouped']:.2f}x, "
              f"one call for all {each / best['embed all']:.2f}x")
    finally:
        workbench.close()


if __name__ == "__main__":
    main()

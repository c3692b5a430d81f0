"""Build the data-dir fixture the upgrade tests start from, with the code of an earlier release.

    git worktree add /tmp/release 1264c0d
    .venv/bin/python scripts/build_upgrade_fixture.py --code /tmp/release \\
        --out tests/fixtures/upgrade/datadir-1264c0d.tar.gz

The release's own code (``--code``) fills a fresh data dir the way a team would have: three
small documents ingested, a SQLite database connected and trained (a note and a
question/SQL pair), a query run, a chat question asked. Everything it writes is made up here,
so nothing from ../shared ends up in the repository. ``expected.json`` in the archive records
what the tests must find again after the upgrade.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

DOCUMENTS = {
    "harbour-report.md": "# Harbour report\n\nThe harbour authority in Port Elwyn reported that container "
                         "traffic rose by 12 percent in the spring quarter. Crane seven was repaired in April.\n",
    "orchard-notes.txt": "Orchard notes\n\nThe Quince Hill orchard planted forty pear trees in March. Frost in "
                         "early May damaged the apricot blossom on the north slope.\n",
    "library-minutes.md": "# Library committee minutes\n\nThe committee agreed to extend opening hours on "
                          "Thursdays and to digitise the map collection before the autumn.\n",
}

# Runs inside the release's checkout, with its code on sys.path; prints what it made as JSON.
_BUILD = r'''
import json, sqlite3, sys
from pathlib import Path
from core.settings import Settings
from core.workbench import build_workbench

root, docs_dir = Path(sys.argv[1]), Path(sys.argv[2])
shop = root / "external" / "shop.db"
shop.parent.mkdir(parents=True)
with sqlite3.connect(shop) as db:
    db.execute("CREATE TABLE fruit (id INTEGER PRIMARY KEY, name TEXT, orchard TEXT, trees INTEGER)")
    db.executemany("INSERT INTO fruit (name, orchard, trees) VALUES (?, ?, ?)",
                   [("pear", "Quince Hill", 40), ("apricot", "Quince Hill", 12), ("apple", "Low Meadow", 55)])

settings = Settings.from_env({"AW_DATA_DIR": str(root / "data"), "HF_HUB_OFFLINE": "1"})
workbench = build_workbench(settings)
workspace = workbench.workspace("default")
results = workspace.ingest_paths(sorted(docs_dir.iterdir()))
sql = workbench.sql
connection = sql.add_connection("default", "orchards", f"sqlite:///{shop}")
sql.train_schema("default", connection)
sql.add_documentation("default", "Trees are counted in the spring survey.", connection=connection)
sql.add_question_sql("default", "How many pear trees are there?", "SELECT trees FROM fruit WHERE name = 'pear'",
                     connection=connection)
sql.run("default", "SELECT COUNT(*) FROM fruit", connection)
answer = workbench.assistant.ask("default", "What happened to the apricot blossom?", conversation_id="fixture-chat")
expected = {
    "documents": sorted(d.title for d in workspace.documents()),
    "chunks": sum(d.chunk_count for d in workspace.documents()),
    "connections": [c.name for c in sql.connections("default")],
    "training_items": len(sql.training_items("default", connection)),
    "history": len(sql.history("default")),
    "chat_answer_sources": len(answer.sources),
    "ingest": [r.status for r in results],
}
workbench.close()
print(json.dumps(expected))
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, required=True, help="checkout of the release that writes the data dir")
    parser.add_argument("--out", type=Path, required=True, help="the .tar.gz to write")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aw-upgrade-") as temporary:
        root, docs = Path(temporary) / "fixture", Path(temporary) / "docs"
        docs.mkdir()
        for name, text in DOCUMENTS.items():
            (docs / name).write_text(text, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AW_")} | {
            "PYTHONPATH": str(args.code.resolve()), "HF_HUB_OFFLINE": "1"}
        built = subprocess.run([sys.executable, "-c", _BUILD, str(root), str(docs)], cwd=args.code, env=env,
                               capture_output=True, text=True, check=True)
        expected = json.loads(built.stdout.strip().splitlines()[-1])
        commit = subprocess.run(["git", "-C", str(args.code), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        expected |= {"release": commit, "built_in": str(root)}
        (root / "expected.json").write_text(json.dumps(expected, indent=1), encoding="utf-8")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(args.out, "w:gz") as archive:
            archive.add(root, arcname="fixture")
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes): {json.dumps(expected)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""JSON and JSON Lines written by the stdlib json module, parsed in the sandbox, ingested and
found by search with their key path cited."""

from __future__ import annotations

import json

import pytest

from core.errors import NoExtractableText, UnsupportedFile
from core.ingest import parse_json
from core.ingest.parsers import Block, parse_document
from core.ingest.pipeline import Upload

LIMIT = 50 * 1024 * 1024
ORDER = {
    "order": {"id": "PO-7781", "customer": {"name": "Blue Heron Freight", "address": {"city": "Lyon"}}, "rush": True,
              "notes": None, "tags": ["fragile", "oversize"]},
    "lines": [{"sku": "PAL-120", "qty": 12, "dims": {"w": 1.2}}, {"sku": "BOX-40", "qty": 3.0, "hazmat": False}],
    "total": 1849.5,
    "history": [{"at": "2024-10-01"}, "imported"],
}


def test_objects_flatten_to_key_paths_and_lists_of_records_become_rows():
    document = parse_document(json.dumps(ORDER).encode(), "po-7781.json", max_bytes=LIMIT)
    assert document.doc_type == "json" and document.title == "po-7781"
    assert list(document.blocks) == [
        Block("order.id: PO-7781", "row"),
        Block("order.customer.name: Blue Heron Freight", "row"),
        Block("order.customer.address.city: Lyon", "row"),
        Block("order.rush: true", "row"),
        Block("order.tags: fragile, oversize", "row"),
        Block("total: 1849.5", "row"),
        Block("history[0].at: 2024-10-01", "row"),
        Block("history[1]: imported", "row"),
        Block("lines", "heading", level=1),  # a list of records: a section of rows, after the lines
        Block("sku: PAL-120; qty: 12; dims.w: 1.2", "row"),
        Block("sku: BOX-40; qty: 3; hazmat: false", "row"),
    ]


def test_a_top_level_list_of_records_reads_like_csv_rows_and_jsonl_is_one_record_a_line():
    records = [{"carrier": "Kestrel Lines", "on_time": 0.88}, {"carrier": "Blue Heron", "on_time": 0.97}]
    as_list = parse_document(json.dumps(records).encode(), "carriers.json", max_bytes=LIMIT)
    assert [b.text for b in as_list.blocks] == ["carrier: Kestrel Lines; on_time: 0.88", "carrier: Blue Heron; on_time: 0.97"]
    lines = "\n".join(json.dumps(record) for record in records) + "\n\n" + json.dumps([1, 2]) + "\n" + json.dumps("done") + "\n"
    as_lines = parse_document(lines.encode(), "carriers.jsonl", max_bytes=LIMIT)
    assert as_lines.doc_type == "jsonl"
    assert [b.text for b in as_lines.blocks] == [b.text for b in as_list.blocks] + ["1, 2", "done"]


def test_invalid_json_names_the_line_and_column():
    with pytest.raises(UnsupportedFile, match=r"^broken\.json is not valid JSON: Expecting ',' delimiter at line 3, column 5\. "):
        parse_document(b'{\n  "a": 1\n    "b": 2\n}', "broken.json", max_bytes=LIMIT)
    with pytest.raises(UnsupportedFile, match=r"^broken\.jsonl line 3 is not valid JSON: Expecting value at column 7\. Each line"):
        parse_document(b'{"a": 1}\n{"a": 2}\n{"a": }\n{"a": 4}\n', "broken.jsonl", max_bytes=LIMIT)
    with pytest.raises(UnsupportedFile, match=r"^deep\.json nests objects and lists deeper than the JSON reader allows"):
        parse_document(b"[" * 100_000 + b"]" * 100_000, "deep.json", max_bytes=LIMIT)
    with pytest.raises(NoExtractableText, match=r"^empty\.json has no extractable text: it holds only empty values"):
        parse_document(b'{"a": null, "b": [], "c": {"d": ""}}', "empty.json", max_bytes=LIMIT)
    with pytest.raises(UnsupportedFile, match=r"^data\.json is not a JSON file: its content looks like a gzip archive"):
        parse_document(b"\x1f\x8b\x08\x00" + b"\x00" * 64, "data.json", max_bytes=LIMIT)


def test_rows_past_the_cap_are_left_out_with_a_warning(monkeypatch):
    monkeypatch.setattr(parse_json, "MAX_ROWS", 2)  # in this process; the sandbox's child keeps its own
    document = parse_json.parse_jsonl("\n".join(json.dumps({"n": n}) for n in range(5)), "many.jsonl")
    assert [b.text for b in document.blocks] == ["n: 0", "n: 1"]
    assert document.warnings == ("Only the first 2 rows of many.jsonl were read (the limit for one file); the rest was left out.",)


def test_an_uploaded_json_file_is_found_by_search_and_cited_with_its_key_path(workbench):
    ws = workbench.workspace()
    results = ws.ingest([Upload("po-7781.json", json.dumps(ORDER).encode()),
                         Upload("events.jsonl", b'{"event": "customs hold", "port": "Antwerp"}\n{"event": "released", "port": "Antwerp"}\n')])
    assert [r.status for r in results] == ["ingested", "ingested"], [r.error for r in results]
    hits = ws.search("which city is the customer in", k=3)
    assert any("order.customer.address.city: Lyon" in hit.chunk.text for hit in hits)
    sku = ws.search("PAL-120 quantity", k=3, mode="keyword")
    assert sku[0].chunk.heading_path == ("lines",) and sku[0].citation == "po-7781, lines"
    assert "event: customs hold; port: Antwerp" in ws.search("customs hold Antwerp", k=2, mode="keyword")[0].chunk.text

"""Search quality on the demo documents: questions whose answering document we know."""

import pytest

from core.ingest.pipeline import Upload
from tests.conftest import clean_env

QUESTIONS = [
    ("What compensation do customers get when a delivery is late?", "delivery-policy.md"),
    ("How many days is the promised delivery window for tier 2 cities like Pune?", "delivery-policy.md"),
    ("How long do I have to return apparel?", "returns-policy.html"),
    ("How are refunds paid for card and UPI payments?", "returns-policy.html"),
    ("pre-seasoned cast iron griddle for dosa", "product-sheet-kitchen.docx"),
    ("When was Kaveri Retail founded and where does it ship?", "company-overview.rst"),
    ("late delivery rate by carrier this quarter", "quarterly-operations-report.pdf"),
]


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory, embedder, demo_docs):
    """The demo documents ingested once into a fresh workbench: these tests only search it."""
    from core.settings import Settings
    from core.workbench import build_workbench

    data_dir = tmp_path_factory.mktemp("retrieval-quality") / "data"
    workbench = build_workbench(Settings.from_env(clean_env(), AW_DATA_DIR=str(data_dir)), embedder=embedder)
    ws = workbench.workspace()
    results = ws.ingest_paths(demo_docs)
    assert all(r.status == "ingested" for r in results)
    yield ws
    workbench.close()


def test_known_questions_find_their_document_in_the_top_3(demo_workspace):
    misses = []
    for question, expected in QUESTIONS:
        hits = demo_workspace.search(question, k=3, mode="hybrid")
        files = [demo_workspace.document(h.chunk.document_id).filename for h in hits]
        if expected not in files:
            misses.append((question, expected, files))
    assert misses == []


def test_hits_carry_citations_with_pages_and_headings(demo_workspace):
    hits = demo_workspace.search("orders per city in the last 90 days", k=5, mode="hybrid")
    pdf_hits = [h for h in hits if demo_workspace.document(h.chunk.document_id).doc_type == "pdf"]
    assert pdf_hits and all(h.chunk.page is not None and "p. " in h.citation for h in pdf_hits)
    policy = demo_workspace.search("what counts as a late delivery", k=1, mode="hybrid")[0]
    assert policy.chunk.heading_path and "late delivery" in " ".join(policy.chunk.heading_path).lower()


def test_a_question_naming_a_document_finds_that_document_first(demo_workspace):
    for question, expected in [
        ("What does the delivery policy say about compensation for late deliveries?", "delivery-policy.md"),
        ("What does the returns policy say about damaged items?", "returns-policy.html"),
    ]:
        top = demo_workspace.search(question, k=1, mode="hybrid")[0]
        assert demo_workspace.document(top.chunk.document_id).filename == expected, question

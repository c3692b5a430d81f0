"""The parse server starts in a process that already has more than 1024 files and sockets open.

A long test run (or a long-lived app with many stores and database connections) reaches such
descriptor numbers; select() refuses them, and the server was then left running unseen while
every upload failed with "filedescriptor out of range in select()".
"""

from __future__ import annotations

import os

from core.ingest.parsers import parse_document

MAX_BYTES = 50 * 1024 * 1024


def test_the_parse_server_starts_when_descriptors_above_1024_are_in_use():
    from core.ingest import sandbox

    held = []
    try:
        while not held or held[-1] < 1100:  # the server's pipes are numbered above 1024
            held.append(os.open(os.devnull, os.O_RDONLY))
        sandbox._SERVER.stop()  # the next file starts a new server, its pipes above 1024
        assert parse_document(b"a file", "one.txt", max_bytes=MAX_BYTES).blocks[0].text == "a file"
        assert sandbox._SERVER._process.stdout.fileno() > 1024
    finally:
        for descriptor in held:
            os.close(descriptor)
    assert parse_document(b"next file", "two.txt", max_bytes=MAX_BYTES).blocks[0].text == "next file"

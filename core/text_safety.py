"""Untrusted text (documents, model output) made safe to render as Markdown.

A Markdown image in a document or an answer would make the reader's browser fetch any URL,
which can carry data out; images become a plain label and no remote fetch happens.
"""

from __future__ import annotations

import re

MARKDOWN_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)]*)\)")
HTML_IMAGE = re.compile(r"<\s*img\b[^>]*>", re.IGNORECASE)


def without_remote_images(text: str) -> str:
    text = MARKDOWN_IMAGE.sub(lambda m: f"[image: {m.group(1) or 'untitled'}]", text)
    return HTML_IMAGE.sub("[image]", text)

"""Image uploads (PNG, JPEG, TIFF with one or more pages): checked here, read by OCR in ``parse_ocr``.

This is the sandboxed text pass of an image: it opens the file with Pillow to count its pages
and refuse what cannot be decoded, and leaves every page to the OCR pass (an image has no text
layer). Decoding the pixels happens page by page in the OCR pass's own children.
"""

from __future__ import annotations

import io

from core.errors import UnsupportedFile
from core.ingest.parsers import ParsedDocument, filename_stem, short_reason

# Pillow's own guard against decompression bombs (about 179 megapixels) raises before any pixel
# is decoded; the sandbox's memory limit stays the backstop for what gets past it.
_FORMATS = ("PNG", "JPEG", "TIFF", "MPO")  # MPO: the multi-picture JPEG many phone cameras write


def parse_image(data: bytes, name: str) -> ParsedDocument:
    """An image's pages, all left for OCR; raises UnsupportedFile for an image that cannot be decoded."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=_FORMATS) as image:
            # An MPO's later pictures are a camera's second view or preview, not further pages.
            pages = 1 if image.format == "MPO" else getattr(image, "n_frames", 1)
            # Reading the first page's pixels here finds a truncated or corrupt file now, with
            # one clear message, instead of once per page in the OCR pass.
            image.load()
    except Image.DecompressionBombError as exc:
        raise UnsupportedFile(
            f"{name} is too large an image to read ({short_reason(exc)}): scan it at a lower resolution "
            "(300 dpi is plenty for text) and upload it again."
        ) from exc
    except MemoryError:
        raise  # the sandbox reports it with the memory limit's own message
    except Exception as exc:  # Pillow raises many types (OSError, SyntaxError, ValueError) for broken files
        raise UnsupportedFile(f"{name} could not be read as an image (the file looks damaged): {short_reason(exc)}.") from exc
    return ParsedDocument(
        title=filename_stem(name), doc_type="image", blocks=(), page_count=pages, needs_ocr=tuple(range(1, pages + 1)),
    )

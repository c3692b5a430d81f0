"""JSON and JSON Lines.

An object becomes "key.path: value" lines, one "row" block each ("customer.address.city:
Lyon"), so a cited line names where in the file it sits. A list of objects (records) anywhere
becomes rows like a CSV file's, one per record ("id: 7; name: Ann; address.city: Lyon"),
under a heading naming the list's key path; a list of plain values is one line ("tags: red,
green"). In JSON Lines each line is one record. Empty values (null, "", [], {}) are left out,
as empty CSV cells are. At most ``MAX_ROWS`` rows are kept per file, as for spreadsheets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from core.errors import UnsupportedFile
from core.ingest.parsers import Block, ParsedDocument, filename_stem
from core.ingest.parse_sheets import MAX_ROWS

_MAX_LIST_VALUES = 1000  # plain values shown on one line; a list of numbers is data, not prose


def parse_json(text: str, name: str) -> ParsedDocument:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnsupportedFile(
            f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}. Fix the file and upload it again."
        ) from None
    except RecursionError:
        raise UnsupportedFile(f"{name} nests objects and lists deeper than the JSON reader allows (about 1,000 levels).") from None
    rows = _Rows(name)
    if _is_records(value):
        rows.records("", value)
    else:
        rows.walk(value)
    return rows.document("json")


def parse_jsonl(text: str, name: str) -> ParsedDocument:
    """One JSON value per line; blank lines are skipped."""
    rows = _Rows(name)
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UnsupportedFile(
                f"{name} line {number} is not valid JSON: {exc.msg} at column {exc.colno}. "
                "Each line of a JSON Lines file must be one complete JSON value; fix that line and upload it again."
            ) from None
        except RecursionError:
            raise UnsupportedFile(f"{name} line {number} nests objects and lists deeper than the JSON reader allows.") from None
        if not rows.record(record):
            break
    return rows.document("jsonl")


class _Rows:
    """Blocks collected up to the file's row cap, with the warning when it was hit.

    Lists of records become sections (a heading, then rows) placed after the file's
    "key.path: value" lines: a heading cannot be closed, so a line that came after a list in
    the file would otherwise be cited as part of that list.
    """

    def __init__(self, name: str):
        self.name = name
        self.lines: list[Block] = []
        self.sections: list[Block] = []
        self.count = 0
        self.cut = False

    def add(self, text: str, into: list[Block] | None = None) -> bool:
        if not text:
            return True
        if self.count >= MAX_ROWS:
            self.cut = True
            return False
        (self.lines if into is None else into).append(Block(text, "row"))
        self.count += 1
        return True

    def record(self, value: object, into: list[Block] | None = None) -> bool:
        """One record (a row): an object's flattened fields, or a plain value."""
        if isinstance(value, dict):
            return self.add("; ".join(f"{path}: {text}" for path, text in _flatten(value)), into)
        if isinstance(value, list):
            return self.add(" | ".join(text for _, text in _flatten(value)), into)
        return self.add(_scalar(value), into)

    def records(self, path: str, items: list) -> bool:
        into = self.lines
        if path:
            self.sections.append(Block(path, "heading", level=1))
            into = self.sections
        return all(self.record(item, into) for item in items)

    def walk(self, value: object) -> None:
        """A value as "key.path: value" rows; its lists of records as sections of rows.

        An explicit stack, not recursion: a file may nest as deep as the JSON reader allows.
        """
        stack: list[tuple[str, object]] = [("", value)]
        while stack:
            path, item = stack.pop()
            if isinstance(item, dict):
                stack.extend(reversed([(_join(path, str(key)), child) for key, child in item.items()]))
            elif _is_records(item):
                if not self.records(path, item):
                    return
            elif isinstance(item, list) and any(isinstance(child, (dict, list)) for child in item):
                stack.extend(reversed([(f"{path}[{index}]", child) for index, child in enumerate(item)]))
            else:
                text = _scalar_list(item) if isinstance(item, list) else _scalar(item)
                if text and not self.add(f"{path}: {text}" if path else text):
                    return

    def document(self, doc_type: str) -> ParsedDocument:
        warnings = (f"Only the first {MAX_ROWS:,} rows of {self.name} were read (the limit for one file); the rest was left out.",) if self.cut else ()
        return ParsedDocument(title=filename_stem(self.name), doc_type=doc_type, blocks=tuple(self.lines + self.sections), warnings=warnings)


def _is_records(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def _flatten(value: object) -> Iterator[tuple[str, str]]:
    """(key path, text) of every non-empty leaf of one record, in order."""
    stack: list[tuple[str, object]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            stack.extend(reversed([(_join(path, str(key)), child) for key, child in item.items()]))
        elif isinstance(item, list) and any(isinstance(child, (dict, list)) for child in item):
            stack.extend(reversed([(f"{path}[{index}]", child) for index, child in enumerate(item)]))
        else:
            text = _scalar_list(item) if isinstance(item, list) else _scalar(item)
            if text:
                yield path, text


def _join(path: str, key: str) -> str:
    key = " ".join(key.split())
    return f"{path}.{key}" if path else key


def _scalar_list(items: list) -> str:
    texts = [text for text in map(_scalar, items[:_MAX_LIST_VALUES]) if text]
    more = f", ... ({len(items) - _MAX_LIST_VALUES} more)" if len(items) > _MAX_LIST_VALUES else ""
    return ", ".join(texts) + more if texts else ""


def _scalar(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return " ".join(str(value).split())

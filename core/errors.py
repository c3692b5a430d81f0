"""Errors the workbench raises. Every message is safe to show to a user and says what to do.

Each class carries a short machine-readable ``kind`` so edges (CLI JSON, Gradio, pages) can
translate errors without string matching.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base class: a problem the user can act on."""

    # The statement that was refused or failed, when the error came from running one: pages put
    # it back in the editor. Set by the SQL service; empty otherwise.
    sql: str = ""

    kind = "error"


class ConfigError(WorkbenchError):
    """A setting is missing or invalid."""

    kind = "config"


class PrivilegedConnection(ConfigError):
    """A database connection's role can do more than read, and privileged connections are not allowed."""

    kind = "privileged_connection"


class BackendUnavailable(WorkbenchError):
    """A backend (Chroma, Neo4j, Ollama, a database) cannot be reached."""

    kind = "backend_unavailable"


class NotFound(WorkbenchError):
    """A document, connection, workspace or conversation does not exist."""

    kind = "not_found"


class InvalidInput(WorkbenchError):
    """The user gave a value the workbench cannot use (a bad name, an empty question...)."""

    kind = "invalid_input"


class UnsupportedFile(WorkbenchError):
    """A file cannot be ingested: wrong type, spoofed extension, empty, too large, undecodable."""

    kind = "unsupported_file"


class EncryptedFile(UnsupportedFile):
    """A PDF is encrypted and no (or a wrong) password was given."""

    kind = "encrypted_file"


class NoExtractableText(UnsupportedFile):
    """A file parsed but contains no text (for example an image-only PDF)."""

    kind = "no_text"


class UnsafeSQL(WorkbenchError):
    """A statement was refused because it could modify data or is otherwise not a plain read."""

    kind = "unsafe_sql"


class QueryTimeout(WorkbenchError):
    """A query ran longer than the configured time limit and was stopped."""

    kind = "timeout"


class DatabaseError(WorkbenchError):
    """The database rejected a query (syntax, missing table, permissions...)."""

    kind = "db_error"


class LLMUnavailable(WorkbenchError):
    """No LLM is configured, its server is down, or the model is not pulled."""

    kind = "llm_unavailable"


class LLMReplyError(WorkbenchError):
    """The model answered, but not with something usable (not JSON, the wrong shape, not SQL)."""

    kind = "llm_reply"


class RateLimited(WorkbenchError):
    """A sender sent too many messages in a short time."""

    kind = "rate_limited"


class ParseTimeout(UnsupportedFile):
    """Reading a file took longer than the per-file time limit (AW_PARSE_TIMEOUT)."""

    kind = "parse_timeout"


class ParseMemoryExceeded(UnsupportedFile):
    """Reading a file needed more memory than the per-file limit (AW_PARSE_MEMORY_MB)."""

    kind = "parse_memory"


class ArchiveTooLarge(UnsupportedFile):
    """A ZIP-based file (.docx) would unpack to more than the limits allow: a likely zip bomb."""

    kind = "archive_too_large"

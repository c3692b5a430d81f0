"""The parser layer of read-only SQL: accept one plain query, refuse everything else with a reason.

``check_read_only(sql, dialect)`` tokenizes and parses the SQL with sqlglot for the engine's
dialect. It accepts exactly one query (SELECT, UNION/INTERSECT/EXCEPT, WITH ... SELECT,
VALUES, or EXPLAIN of one of those) and raises ``UnsafeSQL`` for anything that could write,
change the session, call dangerous functions, or that it cannot understand.

It returns the statement rebuilt from its own tokens, with comments removed, so the text the
database runs is exactly the text that was checked: a comment the engine would execute (MySQL
``/*! ... */``) or a comment style the two parsers disagree on cannot smuggle code past it.

This layer is a courtesy that gives good error messages; the guarantee is the read-only
connection in ``core.sql.dialects``.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from core.errors import InvalidInput, UnsafeSQL
from core.sql.call_check import check_calls

DIALECTS = ("sqlite", "postgres", "mysql")
_DIALECT_ALIASES = {"postgresql": "postgres", "mariadb": "mysql", "sqlite3": "sqlite"}
DIALECT_LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL", "mysql": "MySQL/MariaDB"}

# The parser and both tokenizers are linear, but a megabyte of SQL is not an analyst's query.
MAX_SQL_CHARS = 100_000

_QUERY_STARTS = {"SELECT", "WITH", "VALUES", "TABLE", "("}
_EXPLAIN_KEYWORDS = {
    "sqlite": {"EXPLAIN"},
    "postgres": {"EXPLAIN"},
    "mysql": {"EXPLAIN", "DESCRIBE", "DESC"},
}
_PG_EXPLAIN_OPTIONS = {
    "ANALYZE", "ANALYSE", "VERBOSE", "COSTS", "SETTINGS", "GENERIC_PLAN", "BUFFERS", "WAL",
    "TIMING", "SUMMARY", "MEMORY", "SERIALIZE", "FORMAT",
    "TRUE", "FALSE", "ON", "OFF", "1", "0", "TEXT", "XML", "JSON", "YAML", "NONE", "BINARY", ",",
}
_WRITES_BEFORE_INTO = {"INSERT", "REPLACE", "MERGE", "IGNORE", "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY"}
_MYSQL_EXPLAIN_OPTIONS = {"EXTENDED", "PARTITIONS", "ANALYZE", "FORMAT", "=", "TRADITIONAL", "JSON", "TREE"}

# Token types whose text is data (literals) or a quoted name, where any character is legitimate.
_LITERAL_TOKENS = {t for t in TokenType if t.name.endswith("STRING")} | {TokenType.IDENTIFIER}
_ORDINARY_WHITESPACE = set(" \t\r\n")

_READ_ONLY_MESSAGE = "the workbench only reads data"
# sqlglot node types that can never appear in a read: the message names what was found.
_FORBIDDEN_NODES: tuple[tuple[type[exp.Expression], str, str], ...] = (
    (exp.Insert, "INSERT", _READ_ONLY_MESSAGE),
    (exp.Update, "UPDATE", _READ_ONLY_MESSAGE),
    (exp.Delete, "DELETE", _READ_ONLY_MESSAGE),
    (exp.Merge, "MERGE", _READ_ONLY_MESSAGE),
    (exp.Copy, "COPY", _READ_ONLY_MESSAGE),
    (exp.Create, "CREATE", _READ_ONLY_MESSAGE),
    (exp.Drop, "DROP", _READ_ONLY_MESSAGE),
    (exp.Alter, "ALTER", _READ_ONLY_MESSAGE),
    (exp.TruncateTable, "TRUNCATE", _READ_ONLY_MESSAGE),
    (exp.DML, "A data-changing statement", _READ_ONLY_MESSAGE),
    (exp.DDL, "A schema-changing statement", _READ_ONLY_MESSAGE),
    (exp.Into, "SELECT ... INTO", "it writes the result into a table, variable or file"),
    (exp.Lock, "A locking read (FOR UPDATE / FOR SHARE)", "it locks rows other people may be writing"),
    (exp.Pragma, "PRAGMA", "it can change database settings"),
    (exp.Attach, "ATTACH", "it opens other database files"),
    (exp.Detach, "DETACH", "it changes which database files are open"),
    (exp.Set, "SET", "it changes session settings"),
    (exp.Grant, "GRANT", "it changes permissions"),
    (exp.Revoke, "REVOKE", "it changes permissions"),
    (exp.Transaction, "Transaction control", "the workbench manages transactions itself"),
    (exp.Commit, "COMMIT", "the workbench manages transactions itself"),
    (exp.Rollback, "ROLLBACK", "the workbench manages transactions itself"),
    (exp.LoadData, "LOAD DATA", "it reads files into tables"),
    (exp.Use, "USE", "it switches databases"),
    (exp.Analyze, "ANALYZE", "it writes statistics or runs the statement"),
    (exp.Kill, "KILL", "it stops other sessions"),
    (exp.Execute, "EXECUTE", "it runs code the workbench cannot check"),
    (exp.ExecuteSql, "EXECUTE", "it runs code the workbench cannot check"),
    (exp.Declare, "DECLARE", "it runs code the workbench cannot check"),
    (exp.StoredProcedure, "A stored procedure", "it runs code the workbench cannot check"),
    (exp.Show, "SHOW", "only SELECT queries (or EXPLAIN of one) can run; query information_schema instead"),
    (exp.Describe, "DESCRIBE", "only SELECT queries (or EXPLAIN of one) can run"),
    (exp.Comment, "COMMENT", _READ_ONLY_MESSAGE),
    (exp.Refresh, "REFRESH", _READ_ONLY_MESSAGE),
    (exp.Cache, "CACHE", _READ_ONLY_MESSAGE),
    (exp.Uncache, "UNCACHE", _READ_ONLY_MESSAGE),
    (exp.Command, "A statement the checker cannot read", "only plain queries it can check are run"),
)


_FORBIDDEN_TYPES = tuple(node_type for node_type, _label, _reason in _FORBIDDEN_NODES)


def check_read_only(sql: str, dialect: str, *, extra_functions: frozenset[str] = frozenset(),
                    _limits_wrapped: bool = False) -> str:
    """Return ``sql`` as one normalised read-only statement, or raise ``UnsafeSQL`` saying why not.

    ``dialect`` is ``"sqlite"``, ``"postgres"`` or ``"mysql"`` (MariaDB uses ``"mysql"``).
    ``extra_functions`` are folded names an administrator added to the allow-list
    (``core.sql.functions.parse_extra_functions``). The returned text has comments and
    trailing semicolons removed; run it instead of the input.
    """
    dialect = normalise_dialect(dialect)
    if not isinstance(sql, str) or not sql.strip():
        raise UnsafeSQL("There is no SQL to run: the statement is empty.")
    if len(sql) > MAX_SQL_CHARS:
        raise UnsafeSQL(f"The SQL is too long ({len(sql):,} characters; the limit is {MAX_SQL_CHARS:,}).")

    statements = _split_statements(sql, _tokenize(sql, dialect))
    if not statements:
        raise UnsafeSQL("There is no SQL to run: the text holds only comments or semicolons.")
    if len(statements) > 1:
        raise UnsafeSQL(f"Only one statement can run at a time; found {len(statements)}.")
    tokens = statements[0]

    _refuse_hidden_code(tokens, dialect)
    query_start = _skip_explain(tokens, dialect)
    _refuse_non_query_start(tokens[query_start], explained=_keyword(tokens[0]) if query_start else "")
    _refuse_dangerous_tokens(tokens)

    query_text = _rebuild(sql, tokens[query_start:])
    try:
        tree = _parse_one(query_text, dialect)
    except UnsafeSQL:
        # sqlglot cannot parse some LIMIT/OFFSET expressions the engines accept (the classic
        # SQLite median's "LIMIT 2 - (SELECT COUNT(*) FROM t) % 2"); in parentheses it can, and
        # they mean the same to the engine. The wrapped text is checked, and is what runs.
        wrapped = None if _limits_wrapped else _parenthesise_limits(sql, tokens)
        if wrapped is None:
            raise
        return check_read_only(wrapped, dialect, extra_functions=extra_functions, _limits_wrapped=True)
    nodes = list(tree.walk())  # walked once, for both checks
    _check_tree(tree, nodes)
    check_calls(tokens[query_start:], nodes, dialect, extra_functions)
    return _rebuild(sql, tokens)


def normalise_dialect(dialect: str) -> str:
    """Map a dialect name or alias (postgresql, mariadb) to one of ``DIALECTS``."""
    name = _DIALECT_ALIASES.get(str(dialect).strip().lower(), str(dialect).strip().lower())
    if name not in DIALECTS:
        raise InvalidInput(f"Unknown SQL dialect {dialect!r}: use one of {', '.join(DIALECTS)}.")
    return name


@lru_cache(maxsize=None)
def _plain_tokenizer_class(dialect: str) -> type:
    # sqlglot swallows everything after a "command" keyword (EXPLAIN, CALL, VACUUM...) into one
    # string token; this tokenizer keeps every word a token so all of them can be checked.
    base = Dialect.get_or_raise(dialect).tokenizer_class
    return type(f"Plain{base.__name__}", (base,), {"COMMANDS": set()})


def _tokenize(sql: str, dialect: str) -> list[Token]:
    tokenizer = _plain_tokenizer_class(dialect)(dialect=dialect)
    try:
        return tokenizer.tokenize(sql)
    except TokenError as error:
        raise UnsafeSQL(
            f"The SQL could not be parsed for {DIALECT_LABELS[dialect]}: {_first_line(error)}. "
            "Check quotes and comments are closed."
        ) from None


def _split_statements(sql: str, tokens: list[Token]) -> list[list[Token]]:
    statements: list[list[Token]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            statements.append([])
        else:
            statements[-1].append(token)
    return [statement for statement in statements if statement]


def _refuse_hidden_code(tokens: list[Token], dialect: str) -> None:
    for token in tokens:
        if token.token_type == TokenType.HINT:
            raise UnsafeSQL("Optimizer hints (/*+ ... */) are not allowed: they can override the time limit.")
        if dialect == "mysql" and any(comment.startswith("!") for comment in token.comments):
            raise UnsafeSQL(
                "MySQL executable comments (/*! ... */) are not allowed: the server runs the SQL inside them."
            )
        if token.token_type not in _LITERAL_TOKENS:
            for char in token.text:
                if _is_invisible(char):
                    code = f"U+{ord(char):04X} {unicodedata.name(char, '')}".strip()
                    raise UnsafeSQL(
                        f"The SQL contains an invisible or control character ({code}) "
                        "outside a string; delete it and type the statement again."
                    )
    for first, second in zip(tokens, tokens[1:]):
        # PostgreSQL U&"..." names can spell any function name with escapes the checker cannot see.
        if (
            dialect == "postgres"
            and first.text.upper() == "U"
            and second.token_type == TokenType.AMP
            and first.end + 1 == second.start
        ):
            raise UnsafeSQL(
                'Unicode-escaped names and strings (U&"...") are not allowed: they can hide what is called.'
            )


def _is_invisible(char: str) -> bool:
    if char in _ORDINARY_WHITESPACE:
        return False
    return unicodedata.category(char) in {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp", "Zs"}


def _keyword(token: Token) -> str:
    # NFKC folds full-width and other compatibility forms, so "ＤＥＬＥＴＥ" reads as DELETE.
    return unicodedata.normalize("NFKC", token.text).upper()


def _skip_explain(tokens: list[Token], dialect: str) -> int:
    """Return the index where the statement proper starts, after any EXPLAIN and its options."""
    if _keyword(tokens[0]) not in _EXPLAIN_KEYWORDS[dialect] or tokens[0].token_type in _LITERAL_TOKENS:
        return 0
    index = 1
    if dialect == "sqlite":
        if [_keyword(t) for t in tokens[1:3]] == ["QUERY", "PLAN"]:
            index = 3
    elif dialect == "postgres":
        if len(tokens) > 1 and tokens[1].token_type == TokenType.L_PAREN:
            index = 2
            while index < len(tokens) and tokens[index].token_type != TokenType.R_PAREN:
                _check_explain_option(tokens[index], _PG_EXPLAIN_OPTIONS)
                index += 1
            index += 1
        else:
            while index < len(tokens) and _keyword(tokens[index]) in {"ANALYZE", "ANALYSE", "VERBOSE"}:
                index += 1
    else:
        while index < len(tokens) and _keyword(tokens[index]) in _MYSQL_EXPLAIN_OPTIONS:
            index += 1
    if index >= len(tokens):
        raise UnsafeSQL("EXPLAIN needs a query to explain, e.g. EXPLAIN SELECT * FROM orders.")
    return index


def _check_explain_option(token: Token, allowed: set[str]) -> None:
    if _keyword(token) not in allowed:
        raise UnsafeSQL(f"EXPLAIN option {token.text!r} is not supported: EXPLAIN can only describe a query.")


def _refuse_non_query_start(token: Token, *, explained: str) -> None:
    """Refuse a statement whose first word is not a query's; ``explained`` is the EXPLAIN word before it, if any."""
    # Some tokens span words ("LOCK TABLES"); the first word names the statement.
    keyword = (_keyword(token).split() or [""])[0]
    if keyword in _QUERY_STARTS and token.token_type not in _LITERAL_TOKENS:
        return
    reason = refused_keyword_reason(keyword)
    if reason:
        raise UnsafeSQL(f"{keyword} is not allowed: {reason}.")
    if explained:
        describes_table = explained in {"DESCRIBE", "DESC"}
        hint = "; to see a table's columns, query information_schema.columns" if describes_table else ""
        raise UnsafeSQL(f"EXPLAIN can only describe a query, and {token.text!r} does not start one{hint}.")
    raise UnsafeSQL(
        f"This statement starts with {token.text!r}, which is not allowed: only SELECT queries "
        "(or EXPLAIN of one) can run."
    )


def _refuse_dangerous_tokens(tokens: list[Token]) -> None:
    for index, token in enumerate(tokens):
        if token.token_type in _LITERAL_TOKENS:
            continue
        keyword = _keyword(token)
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        # INSERT/REPLACE/MERGE ... INTO is left to the tree check, which names the statement.
        if keyword == "INTO" and (index == 0 or _keyword(tokens[index - 1]) not in _WRITES_BEFORE_INTO):
            target = _keyword(following) if following else ""
            if target in {"OUTFILE", "DUMPFILE"}:
                raise UnsafeSQL(f"SELECT ... INTO {target} is not allowed: it writes files on the server.")
            raise UnsafeSQL("SELECT ... INTO is not allowed: it writes the result into a table or variable.")
        if keyword == "NEXT" and [_keyword(t) for t in tokens[index + 1 : index + 3]] == ["VALUE", "FOR"]:
            raise UnsafeSQL("NEXT VALUE FOR is not allowed: it advances a sequence, which changes the database.")


def _rebuild(sql: str, tokens: list[Token]) -> str:
    """Join the tokens' original text; gaps holding comments or odd whitespace become one space."""
    parts: list[str] = []
    previous_end = None
    for token in tokens:
        if previous_end is not None:
            gap = sql[previous_end + 1 : token.start]
            parts.append(gap if set(gap) <= _ORDINARY_WHITESPACE else " ")
        parts.append(sql[token.start : token.end + 1])
        previous_end = token.end
    return "".join(parts).strip()


_LIMIT_EXPRESSION_ENDS = {"OFFSET", "UNION", "EXCEPT", "INTERSECT", "FOR", "FETCH", "LIMIT"}


def _parenthesise_limits(sql: str, tokens: list[Token]) -> str | None:
    """``sql`` with every multi-token LIMIT/OFFSET expression in parentheses, or None if none needed it."""
    inserts: list[tuple[int, str]] = []
    for index, token in enumerate(tokens):
        if token.token_type in _LITERAL_TOKENS or _keyword(token) not in {"LIMIT", "OFFSET"}:
            continue
        depth, end = 0, index + 1
        while end < len(tokens):
            kind = tokens[end].token_type
            if depth == 0 and (kind in {TokenType.COMMA, TokenType.R_PAREN} or (
                    kind not in _LITERAL_TOKENS and _keyword(tokens[end]) in _LIMIT_EXPRESSION_ENDS)):
                break
            depth += (kind == TokenType.L_PAREN) - (kind == TokenType.R_PAREN)
            end += 1
        expression = tokens[index + 1 : end]
        if len(expression) > 1:
            inserts += [(expression[0].start, "("), (expression[-1].end + 1, ")")]
    if not inserts:
        return None
    text = sql
    for position, mark in sorted(inserts, reverse=True):
        text = text[:position] + mark + text[position:]
    return text


def _parse_one(sql: str, dialect: str) -> exp.Expression:
    try:
        expressions = [e for e in sqlglot.parse(sql, read=dialect) if e is not None]
    except ParseError as error:
        raise UnsafeSQL(
            f"The SQL could not be parsed for {DIALECT_LABELS[dialect]}: {_parse_hint(error)}."
        ) from None
    except TokenError as error:
        raise UnsafeSQL(f"The SQL could not be parsed for {DIALECT_LABELS[dialect]}: {_first_line(error)}.") from None
    if len(expressions) != 1:
        raise UnsafeSQL(f"Only one statement can run at a time; found {len(expressions)}.")
    return expressions[0]


def _parse_hint(error: ParseError) -> str:
    if not error.errors:
        return _first_line(error)
    first = error.errors[0]
    description = str(first.get("description") or "unexpected syntax").split(". Line")[0]
    if "<Token" in description:
        description = description.split("<Token")[0].rstrip(" :") + f" {first.get('highlight')!r}"
    where = f"line {first.get('line')}, column {first.get('col')}"
    near = first.get("highlight")
    if near and repr(str(near)) not in description:
        return f"{description} at {where} (near {near!r})"
    return f"{description} at {where}"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _check_tree(tree: exp.Expression, nodes: list[exp.Expression]) -> None:
    for node in nodes:
        if not isinstance(node, _FORBIDDEN_TYPES):  # one check per node; the table below only names it
            continue
        for node_type, label, reason in _FORBIDDEN_NODES:
            if isinstance(node, node_type):
                where = " (inside a WITH clause)" if node.find_ancestor(exp.CTE) else ""
                raise UnsafeSQL(f"{label} is not allowed{where}: {reason}.")
    if not isinstance(tree, (exp.Query, exp.Values)):
        raise UnsafeSQL("Only SELECT queries (or EXPLAIN of one) can run; this statement is not a query.")


# --- What is refused by first word ---------------------------------------------------------

_WRITES = "the workbench only reads data"
_RUNS_CODE = "it runs code the workbench cannot check"
_TRANSACTIONS = "the workbench manages transactions itself"
_SERVER = "it administers the database server"
# First words of statements that are never a read, with the reason shown to the user.
_REFUSED_KEYWORDS: dict[str, str] = {
    **dict.fromkeys(
        ("INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE", "UPSERT", "TRUNCATE", "CREATE", "DROP",
         "ALTER", "RENAME", "COMMENT", "COPY", "REINDEX", "CLUSTER", "REFRESH", "IMPORT", "UNDROP"),
        _WRITES,
    ),
    **dict.fromkeys(("GRANT", "REVOKE"), "it changes permissions"),
    **dict.fromkeys(("SET", "RESET", "DISCARD"), "it changes session settings"),
    **dict.fromkeys(
        ("CALL", "EXEC", "EXECUTE", "DO", "PREPARE", "DEALLOCATE", "DECLARE", "HANDLER",
         "FETCH", "MOVE", "CLOSE", "OPEN"),
        _RUNS_CODE,
    ),
    **dict.fromkeys(
        ("BEGIN", "START", "COMMIT", "ROLLBACK", "END", "SAVEPOINT", "RELEASE", "ABORT", "XA"),
        _TRANSACTIONS,
    ),
    **dict.fromkeys(("LOCK", "UNLOCK"), "it locks tables"),
    "PRAGMA": "it can change database settings",
    "ATTACH": "it opens other database files",
    "DETACH": "it changes which database files are open",
    "LOAD": "it loads files or extensions into the database",
    "VACUUM": "it rewrites the database file",
    "ANALYZE": "it writes statistics or runs the statement",
    "ANALYSE": "it writes statistics or runs the statement",
    "USE": "it switches databases",
    **dict.fromkeys(("LISTEN", "UNLISTEN", "NOTIFY"), "it sends or waits for notifications"),
    **dict.fromkeys(
        ("KILL", "SHUTDOWN", "FLUSH", "PURGE", "INSTALL", "UNINSTALL", "OPTIMIZE", "REPAIR",
         "CHECK", "CHECKSUM", "CHECKPOINT", "BACKUP", "RESTORE", "CHANGE", "BINLOG", "CACHE",
         "SECURITY", "REASSIGN"),
        _SERVER,
    ),
    **dict.fromkeys(
        ("SHOW", "DESCRIBE", "DESC", "HELP"),
        "only SELECT queries (or EXPLAIN of one) can run; query information_schema instead",
    ),
}


def refused_keyword_reason(keyword: str) -> str | None:
    """Why a statement starting with ``keyword`` is refused, or None when the word is unknown."""
    return _REFUSED_KEYWORDS.get(unicodedata.normalize("NFKC", keyword).upper())

"""Every function a query calls must be on its dialect's allow-list (``core.sql.functions``).

Two independent views of the same statement are checked, so one parser quirk cannot hide a call:

- the tokens: every word directly followed by ``(`` is a call, unless the grammar says it is
  not (``IN (``, ``OVER (``, ``AS alias(cols)``, a type's ``VARCHAR(10)``, a CTE's column list).
  This sees the name exactly as written, which is the name the engine resolves;
- the tree: every function sqlglot did not recognise (``exp.Anonymous``) is checked by name,
  which catches calls in places the token rule skips.
"""

from __future__ import annotations

from functools import lru_cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import Token, TokenType

from core.errors import UnsafeSQL
from core.sql.functions import fold, function_refusal, never_allowed_reason

# Words that take a parenthesis without being a call. Anything else followed by "(" is a call.
# Some are also harmless built-ins (LEFT(name, 3), MOD(a, b), sqlite's like(a, b)); skipping
# them costs nothing.
_OPERAND_ENDS = {")", "]"}
_AFTER_STRING = {"<string>"}  # with any word or number before: "a DIV (b)", "x MOD (y)" are operators
_NOT_CALLS = {
    TokenType.IN, TokenType.EXISTS, TokenType.ARRAY, TokenType.ROW, TokenType.FILTER, TokenType.OVER,
    TokenType.ALL, TokenType.ANY, TokenType.SOME, TokenType.UNION, TokenType.INTERSECT, TokenType.EXCEPT,
    TokenType.VALUES, TokenType.USING, TokenType.ON, TokenType.AND, TokenType.OR, TokenType.NOT,
    TokenType.FROM, TokenType.JOIN, TokenType.LATERAL, TokenType.WHERE, TokenType.HAVING, TokenType.SELECT,
    TokenType.WITH, TokenType.ALIAS, TokenType.BETWEEN, TokenType.IS, TokenType.LIKE, TokenType.ILIKE,
    TokenType.GLOB, TokenType.RLIKE, TokenType.CASE, TokenType.WHEN, TokenType.THEN, TokenType.ELSE,
    TokenType.DISTINCT, TokenType.LIMIT, TokenType.OFFSET, TokenType.ROLLUP, TokenType.CUBE,
    TokenType.GROUPING_SETS, TokenType.WINDOW, TokenType.TABLE, TokenType.XOR, TokenType.COLLATE,
    TokenType.ORDER_BY, TokenType.GROUP_BY, TokenType.PARTITION_BY, TokenType.NULL,
    TokenType.RECURSIVE, TokenType.FETCH, TokenType.OUTER, TokenType.INNER,
    TokenType.CROSS, TokenType.LEFT, TokenType.RIGHT, TokenType.FULL, TokenType.NATURAL, TokenType.RANGE,
    TokenType.ROWS, TokenType.ESCAPE,
}
# Keywords after which a word and "(" are not a call of that word.
_NOT_CALL_AFTER = {TokenType.ALIAS, TokenType.DCOLON}
# Grammar words the tokenizer leaves as plain words, and the word before them that makes them
# grammar: WITHIN GROUP (ORDER BY ...), AS [NOT] MATERIALIZED (...), AT TIME ZONE (...),
# TABLESAMPLE SYSTEM (10), ... REPEATABLE (1), (a, b) OVERLAPS (c, d).
_GRAMMAR_WORDS = {
    "GROUP": {"WITHIN"}, "MATERIALIZED": {"AS", "NOT"}, "ZONE": {"TIME"}, "BERNOULLI": {"TABLESAMPLE"},
    "SYSTEM": {"TABLESAMPLE"}, "REPEATABLE": {")"}, "OVERLAPS": {")"}, "DIV": _OPERAND_ENDS, "MOD": _OPERAND_ENDS,
    "COLUMNS": _AFTER_STRING,  # JSON_TABLE(doc, '$[*]' COLUMNS (...)), NESTED PATH '$.x' COLUMNS (...)
}
_LITERALS = {t for t in TokenType if t.name.endswith("STRING")} | {
    TokenType.NUMBER, TokenType.PARAMETER, TokenType.PLACEHOLDER,
}


@lru_cache(maxsize=None)
def _type_tokens(dialect: str) -> frozenset[TokenType]:
    return frozenset(Dialect.get_or_raise(dialect).parser_class.TYPE_TOKENS)


def check_calls(tokens: list[Token], nodes: list[exp.Expression], dialect: str, extras: frozenset[str]) -> None:
    """Raise ``UnsafeSQL`` naming the first call of a function that is not allowed in ``dialect``.

    ``nodes`` are every node of the parsed statement (``list(tree.walk())``).
    """
    relation_aliases = _relation_aliases(nodes)
    for index, token in enumerate(tokens[:-1]):
        if tokens[index + 1].token_type != TokenType.L_PAREN or not _is_word(token):
            continue
        if _is_call(tokens, index, dialect, relation_aliases):
            qualifier = _qualifier(tokens, index)
            reason = function_refusal(token.text, qualifier, dialect, extras)
            if reason:
                raise UnsafeSQL(reason)
    for node in nodes:
        if isinstance(node, exp.Anonymous):
            reason = function_refusal(node.name, _tree_qualifier(node), dialect, extras)
            if reason and fold(node.name) not in _ROW_CONSTRUCTORS:
                raise UnsafeSQL(reason)
        elif isinstance(node, exp.Func):
            reason = never_allowed_reason(node.sql_name())
            if reason:
                raise UnsafeSQL(f"{node.sql_name()}() is not allowed: {reason}.")


# sqlglot leaves ROW(...) anonymous; it is the row constructor, not a function.
_ROW_CONSTRUCTORS = {"row"}


def _is_word(token: Token) -> bool:
    if token.token_type == TokenType.IDENTIFIER:
        return True
    if token.token_type in _LITERALS:
        return False
    text = token.text
    return bool(text) and (text[0].isalpha() or text[0] == "_")


def _is_call(tokens: list[Token], index: int, dialect: str, relation_aliases: set[str]) -> bool:
    token = tokens[index]
    previous = tokens[index - 1] if index else None
    if token.token_type in _NOT_CALLS:
        return False
    if previous is not None and _is_grammar_word(token, previous):
        return False
    if previous is not None and previous.token_type in _NOT_CALL_AFTER:
        return False  # "AS alias(a, b)" names columns; "::numeric(10, 2)" is a type
    if token.token_type in _type_tokens(dialect) and token.token_type != TokenType.VAR:
        return False  # VARCHAR(10), DECIMAL(10, 2): a type's parameters
    if _opens_cte_columns(tokens, index):
        return False
    if fold(token.text) in relation_aliases and previous is not None and previous.token_type in {
        TokenType.VAR, TokenType.IDENTIFIER, TokenType.R_PAREN
    }:
        return False  # "FROM t x(a, b)": a table alias with column names
    return True


def _is_grammar_word(token: Token, previous: Token) -> bool:
    before = _GRAMMAR_WORDS.get(token.text.upper())
    if before is None or token.token_type == TokenType.IDENTIFIER:
        return False
    if before is _OPERAND_ENDS and (_is_word(previous) or previous.token_type == TokenType.NUMBER):
        return True
    if before is _AFTER_STRING:
        return previous.token_type in _LITERALS and previous.token_type.name.endswith("STRING")
    return previous.text.upper() in before


def _opens_cte_columns(tokens: list[Token], index: int) -> bool:
    """Whether ``name(`` at ``index`` is a WITH entry's column list: ``name (a, b) AS [NOT] [MATERIALIZED] (``."""
    depth, position = 0, index + 1
    while position < len(tokens):
        kind = tokens[position].token_type
        depth += kind == TokenType.L_PAREN
        depth -= kind == TokenType.R_PAREN
        if depth == 0:
            break
        position += 1
    after = [t for t in tokens[position + 1 : position + 5]]
    if not after or after[0].token_type != TokenType.ALIAS:
        return False
    rest = [t for t in after[1:] if t.text.upper() not in {"NOT", "MATERIALIZED"}]
    return bool(rest) and rest[0].token_type == TokenType.L_PAREN


def _qualifier(tokens: list[Token], index: int) -> str:
    if index >= 2 and tokens[index - 1].token_type == TokenType.DOT and _is_word(tokens[index - 2]):
        return tokens[index - 2].text
    return ""


def _tree_qualifier(node: exp.Anonymous) -> str:
    parent = node.parent
    if isinstance(parent, exp.Dot) and parent.expression is node:
        return parent.this.name if isinstance(parent.this, (exp.Identifier, exp.Column, exp.Var)) else "?"
    return ""


def _relation_aliases(nodes: list[exp.Expression]) -> set[str]:
    """Names the statement gives to CTEs and table aliases that declare column names."""
    return {fold(node.name) for node in nodes
            if isinstance(node, exp.TableAlias) and node.columns and node.name}

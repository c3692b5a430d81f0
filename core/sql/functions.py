"""Which functions a query may call, per dialect: an allow-list, never a deny-list.

A deny-list loses to the first function nobody thought of (PostgreSQL's ``ts_stat`` runs any
SQL string it is given, so ``pg_read_file`` inside a string went straight past one). So a
call is allowed only when its name is in the table of its dialect below: the aggregates,
window, string, math, date/time, conversion, JSON-reading and conditional functions analysts
use. Teams with their own UDFs add names with ``AW_SQL_EXTRA_FUNCTIONS``.

A few functions can never be added, whatever the setting says: those that run SQL text they
are handed (the checker cannot see inside a string), and those that touch files, sleep, take
locks, change state or control the server. ``NEVER_ALLOWED`` gives the reason shown for each.
"""

from __future__ import annotations

import unicodedata

from core.errors import ConfigError


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


_AGGREGATES_COMMON = _names("count sum avg min max")
_WINDOW = _names(
    "row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value"
)

POSTGRES_FUNCTIONS = _AGGREGATES_COMMON | _WINDOW | _names(
    # aggregates and statistics
    "stddev stddev_pop stddev_samp variance var_pop var_samp string_agg array_agg bool_and bool_or every "
    "bit_and bit_or bit_xor corr covar_pop covar_samp regr_slope regr_intercept regr_r2 regr_count regr_avgx "
    "regr_avgy regr_sxx regr_syy regr_sxy percentile_cont percentile_disc mode json_agg jsonb_agg "
    "json_object_agg jsonb_object_agg grouping any_value range_agg "
    # strings
    "length char_length character_length octet_length bit_length lower upper initcap trim btrim ltrim rtrim "
    "lpad rpad substr substring left right position strpos replace translate concat concat_ws split_part "
    "regexp_replace regexp_match regexp_matches regexp_split_to_array regexp_split_to_table regexp_count "
    "regexp_instr regexp_like regexp_substr repeat reverse format to_hex md5 ascii chr starts_with overlay "
    "quote_ident quote_literal quote_nullable string_to_array array_to_string string_to_table encode decode "
    "normalize unaccent casefold "
    # full-text search over text values (never over SQL text: ts_stat/ts_rewrite are NEVER_ALLOWED)
    "to_tsvector to_tsquery plainto_tsquery phraseto_tsquery websearch_to_tsquery ts_rank ts_rank_cd "
    "ts_headline setweight numnode querytree strip tsvector_to_array array_to_tsvector "
    # math
    "abs ceil ceiling floor round trunc sign sqrt cbrt power pow exp ln log log10 mod div pi degrees radians "
    "sin cos tan asin acos atan atan2 cot sinh cosh tanh random width_bucket greatest least gcd lcm factorial "
    "scale min_scale trim_scale erf erfc "
    # dates and times
    "now date_trunc date_part extract age to_char to_date to_timestamp to_number make_date make_time "
    "make_timestamp make_timestamptz make_interval justify_days justify_hours justify_interval date_bin "
    "isfinite clock_timestamp statement_timestamp transaction_timestamp timezone date_add date_subtract "
    # conversion and conditional
    "cast coalesce nullif num_nulls num_nonnulls pg_typeof "
    # arrays and set-returning helpers
    "array_length cardinality unnest array_position array_positions array_remove array_replace array_append "
    "array_prepend array_cat array_dims array_lower array_upper array_ndims array_fill generate_series "
    "generate_subscripts trim_array array_sample array_shuffle array_reverse array_sort "
    # JSON readers and builders (they return values; none writes)
    "json_extract_path json_extract_path_text jsonb_extract_path jsonb_extract_path_text json_array_length "
    "jsonb_array_length json_array_elements jsonb_array_elements json_array_elements_text "
    "jsonb_array_elements_text json_each jsonb_each json_each_text jsonb_each_text json_object_keys "
    "jsonb_object_keys json_typeof jsonb_typeof to_json to_jsonb row_to_json array_to_json json_build_object "
    "jsonb_build_object json_build_array jsonb_build_array json_object jsonb_object jsonb_pretty "
    "jsonb_path_query jsonb_path_query_array jsonb_path_query_first jsonb_path_exists jsonb_path_match "
    "jsonb_strip_nulls json_strip_nulls jsonb_set jsonb_insert json_scalar json_serialize json_exists "
    "json_query json_value "
    # ranges
    "lower_inc upper_inc lower_inf upper_inf isempty range_merge "
    # catalogue readers analysts use to find their way round a schema (sizes, names, definitions)
    "pg_size_pretty pg_total_relation_size pg_relation_size pg_table_size pg_indexes_size pg_database_size "
    "current_database current_schema current_schemas version format_type obj_description col_description "
    "pg_get_viewdef pg_get_constraintdef pg_get_indexdef pg_table_is_visible has_table_privilege "
    "has_column_privilege has_schema_privilege"
)

MYSQL_FUNCTIONS = _AGGREGATES_COMMON | _WINDOW | _names(
    # aggregates and statistics (MariaDB adds median and percentiles)
    "std stddev stddev_pop stddev_samp variance var_pop var_samp group_concat bit_and bit_or bit_xor "
    "json_arrayagg json_objectagg any_value grouping median percentile_cont percentile_disc "
    # strings
    "length char_length character_length octet_length bit_length lower upper lcase ucase trim ltrim rtrim "
    "lpad rpad substr substring substring_index mid left right locate position instr replace concat "
    "concat_ws repeat reverse format hex unhex ascii char ord space strcmp field find_in_set elt insert "
    "soundex md5 sha1 sha2 crc32 regexp_replace regexp_substr regexp_instr regexp_like to_base64 from_base64 "
    "bin oct conv make_set quote char_length natural_sort_key "
    # math
    "abs ceil ceiling floor round truncate sign sqrt power pow exp ln log log10 log2 mod pi degrees radians "
    "sin cos tan asin acos atan atan2 cot rand greatest least "
    # dates and times
    "now curdate current_date curtime current_time current_timestamp utc_date utc_time utc_timestamp "
    "localtime localtimestamp date time year month day dayofmonth dayofweek dayofyear weekday week weekofyear "
    "yearweek quarter hour minute second microsecond monthname dayname last_day date_add date_sub adddate "
    "subdate addtime subtime datediff timediff timestampdiff timestampadd date_format time_format str_to_date "
    "extract makedate maketime period_add period_diff from_days to_days to_seconds from_unixtime "
    "unix_timestamp convert_tz sec_to_time time_to_sec get_format timestamp add_months "
    # conversion and conditional
    "cast convert if ifnull nullif coalesce isnull interval "
    # JSON readers and builders (they return values; none writes)
    "json_extract json_unquote json_length json_keys json_contains json_contains_path json_type json_valid "
    "json_depth json_search json_value json_object json_array json_quote json_pretty json_table "
    "json_overlaps json_merge_patch json_merge_preserve json_set json_insert json_replace json_remove "
    "json_query json_exists json_compact json_detailed "
    # information functions analysts use with information_schema
    "database schema version"
)

SQLITE_FUNCTIONS = _AGGREGATES_COMMON | _WINDOW | _names(
    # aggregates
    "total group_concat string_agg median percentile percentile_cont percentile_disc "
    # strings
    "length octet_length lower upper trim ltrim rtrim substr substring replace instr printf format char "
    "unicode hex unhex quote concat concat_ws like glob soundex "
    # zeroblob is bounded by SQLITE_LIMIT_LENGTH, which the engine layer sets to the result budget
    "zeroblob "
    # math
    "abs round sign ceil ceiling floor trunc sqrt pow power exp ln log log2 log10 mod pi sin cos tan asin "
    "acos atan atan2 sinh cosh tanh degrees radians random "
    # dates and times
    "date time datetime julianday strftime unixepoch timediff "
    # conversion and conditional
    "cast coalesce ifnull nullif iif if typeof "
    # JSON readers and builders (they return values; none writes)
    "json json_extract json_array json_array_length json_object json_type json_valid json_quote "
    "json_group_array json_group_object json_each json_tree json_patch json_remove json_set json_insert "
    "json_replace json_error_position jsonb jsonb_extract "
    # read-only catalogue views (the engine's authorizer allows only these pragmas)
    "pragma_table_info pragma_table_xinfo pragma_table_list pragma_index_list pragma_index_info "
    "pragma_index_xinfo pragma_foreign_key_list"
)

ALLOWED_FUNCTIONS: dict[str, frozenset[str]] = {
    "postgres": POSTGRES_FUNCTIONS,
    "mysql": MYSQL_FUNCTIONS,
    "sqlite": SQLITE_FUNCTIONS,
}

_FILES = "it can read or write files on the server"
_WAITS = "it only makes the server wait or burn CPU"
_STATE = "it changes database or session state"
_LOCKS = "it takes locks that outlive the query"
_ADMIN = "it controls the database server or other sessions"
_REMOTE = "it connects to other servers"
_DYNAMIC = "it runs SQL hidden inside a string, which the checker cannot see"
_NATIVE = "it loads or runs native code on the server"

# Never allowed, even when named in AW_SQL_EXTRA_FUNCTIONS: each would undo a layer of the guard.
NEVER_ALLOWED: dict[str, str] = {
    # PostgreSQL: SQL text executed from a string argument
    **dict.fromkeys(
        ("ts_stat", "ts_rewrite", "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema",
         "cursor_to_xml", "cursor_to_xmlschema", "table_to_xml", "table_to_xmlschema",
         "table_to_xml_and_xmlschema", "database_to_xml", "database_to_xmlschema",
         "database_to_xml_and_xmlschema", "schema_to_xml", "schema_to_xmlschema", "schema_to_xml_and_xmlschema",
         "xpath", "xpath_exists", "xmltable"),
        _DYNAMIC,
    ),
    # PostgreSQL: files, waits, state, administration
    **dict.fromkeys(
        ("pg_read_file", "pg_read_binary_file", "pg_stat_file", "pg_file_write", "pg_file_rename",
         "pg_file_unlink", "pg_file_sync", "pg_logdir_ls", "lo_import", "lo_export", "lo_get", "lo_put",
         "lo_from_bytea", "lo_create", "lo_open", "lo_unlink", "pg_ls_dir"),
        _FILES,
    ),
    **dict.fromkeys(("pg_sleep", "pg_sleep_for", "pg_sleep_until"), _WAITS),
    **dict.fromkeys(
        ("setval", "nextval", "currval", "lastval", "set_config", "txid_current", "pg_current_xact_id",
         "pg_notify", "pg_logical_emit_message", "pg_import_system_collations", "pg_prewarm"),
        _STATE,
    ),
    **dict.fromkeys(
        ("pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_promote",
         "pg_switch_wal", "pg_create_restore_point", "pg_start_backup", "pg_stop_backup", "pg_backup_start",
         "pg_backup_stop", "pg_wal_replay_pause", "pg_wal_replay_resume", "pg_log_backend_memory_contexts"),
        _ADMIN,
    ),
    # MySQL / MariaDB
    "load_file": _FILES,
    **dict.fromkeys(("sleep", "benchmark", "master_pos_wait", "source_pos_wait", "master_gtid_wait",
                     "wait_for_executed_gtid_set", "wait_until_sql_thread_after_gtids"), _WAITS),
    **dict.fromkeys(("get_lock", "release_lock", "release_all_locks", "is_free_lock", "is_used_lock"), _LOCKS),
    **dict.fromkeys(("sys_exec", "sys_eval"), _NATIVE),
    # SQLite (readfile/writefile/edit come from the sqlite3 shell's extensions)
    **dict.fromkeys(("load_extension", "fts3_tokenizer"), _NATIVE),
    **dict.fromkeys(("readfile", "writefile", "edit"), _FILES),
}
# Families refused by prefix: every current and future member is dangerous.
NEVER_ALLOWED_PREFIXES: tuple[tuple[str, str], ...] = (
    ("dblink", _REMOTE), ("pg_ls_", _FILES), ("lo_", _FILES), ("pg_advisory", _LOCKS),
    ("pg_try_advisory", _LOCKS), ("pg_stat_reset", _ADMIN), ("pg_replication_", _ADMIN),
    ("pg_create_", _ADMIN), ("pg_drop_replication", _ADMIN), ("pg_copy_", _ADMIN),
    ("database_to_xml", _DYNAMIC), ("schema_to_xml", _DYNAMIC), ("table_to_xml", _DYNAMIC),
    ("query_to_", _DYNAMIC), ("cursor_to_", _DYNAMIC),
)

# Qualifiers a call to an allowed built-in may carry (``pg_catalog.lower(x)`` is ``lower(x)``).
_BUILTIN_SCHEMAS = {"postgres": {"pg_catalog"}, "mysql": set(), "sqlite": set()}


def fold(name: str) -> str:
    """A function name as compared here: NFKC-folded (so full-width letters read as ASCII), lower case."""
    return unicodedata.normalize("NFKC", name).casefold()


def never_allowed_reason(name: str) -> str | None:
    """Why ``name`` can never be called, not even when an administrator adds it; None otherwise."""
    folded = fold(name)
    if folded in NEVER_ALLOWED:
        return NEVER_ALLOWED[folded]
    for prefix, reason in NEVER_ALLOWED_PREFIXES:
        if folded.startswith(prefix):
            return reason
    return None


def parse_extra_functions(names: tuple[str, ...] | list[str]) -> frozenset[str]:
    """The administrator's extra names, folded; refuses any that can never be allowed."""
    extras = set()
    for raw in names:
        name = fold(raw.strip())
        if not name:
            continue
        reason = never_allowed_reason(name.rsplit(".", 1)[-1])
        if reason:
            raise ConfigError(f"AW_SQL_EXTRA_FUNCTIONS names {raw.strip()!r}, which can never be allowed: {reason}.")
        extras.add(name)
    return frozenset(extras)


def function_refusal(name: str, qualifier: str, dialect: str, extras: frozenset[str] = frozenset()) -> str | None:
    """Why a call of ``[qualifier.]name`` is refused in ``dialect``, or None when it is allowed.

    ``extras`` are folded names from ``AW_SQL_EXTRA_FUNCTIONS``; an entry may be qualified
    (``analytics.fiscal_quarter``) to allow one schema's function only.
    """
    folded, schema = fold(name), fold(qualifier)
    reason = never_allowed_reason(folded)
    if reason:
        return f"{name}() is not allowed: {reason}."
    qualified = f"{schema}.{folded}" if schema else folded
    if qualified in extras or (not schema and folded in extras):
        return None
    builtin = folded in ALLOWED_FUNCTIONS[dialect]
    if builtin and (not schema or schema in _BUILTIN_SCHEMAS[dialect]):
        return None
    shown = f"{qualifier}.{name}" if qualifier else name
    return (f"function {shown} is not allowed; ask an administrator to add it to AW_SQL_EXTRA_FUNCTIONS "
            "if it only reads data.")

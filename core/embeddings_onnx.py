"""Sentence embeddings on ONNX Runtime, with the `tokenizers` library: no torch in this process.

It computes what sentence-transformers computes for the model folder: the tokenizer of its
``tokenizer.json`` truncating to ``max_seq_length`` (``sentence_bert_config.json``) and padding
to the longest text of a batch, the transformer (the ONNX export made by
``core.embedding_export``), then the pooling of ``1_Pooling/config.json`` over the attention
mask and L2 normalisation. Texts are embedded longest first, as sentence-transformers does, so
a batch holds texts of similar length and little padding.

Only what the packaged model needs is supported: a transformer followed by mean or CLS
pooling (and normalisation). A model folder with other modules (a Dense layer, say) is refused
with a clear error; the torch backend runs any sentence-transformers model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from core.errors import ConfigError

# Texts per ONNX Runtime call, whatever the caller's batch: activations (attention scores above
# all) grow with the batch and ONNX Runtime's arena keeps its largest allocation for the life of
# the process. Measured on 128 chunks of 180 tokens: resident memory 313 MB at 16 against 639 MB
# at 64, for the same CPU time (6.5 s).
RUN_BATCH = 16
_SUPPORTED_MODULES = {"sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
                      "sentence_transformers.models.Normalize"}


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError:
        raise ConfigError(f"{path} is not valid JSON: the embedding model folder is damaged.") from None


def model_layout(model_path: Path) -> dict:
    """What the runtime needs from a model folder, read without loading it; ConfigError if unsupported."""
    modules = _read_json(model_path / "modules.json") or []
    unsupported = [m.get("type", "?") for m in modules if m.get("type") not in _SUPPORTED_MODULES]
    if unsupported:
        raise ConfigError(f"The ONNX embedding backend runs a transformer with mean or CLS pooling; {model_path} "
                          f"also has {', '.join(unsupported)}. Set AW_EMBEDDING_BACKEND=torch for this model.")
    if not (model_path / "tokenizer.json").is_file():
        raise ConfigError(f"The ONNX embedding backend needs {model_path / 'tokenizer.json'} (a fast tokenizer); "
                          "set AW_EMBEDDING_BACKEND=torch for this model.")
    pooling_dir = next((m.get("path", "") for m in modules if m.get("type", "").endswith(".Pooling")), "1_Pooling")
    pooling = _read_json(model_path / pooling_dir / "config.json")
    config = _read_json(model_path / "config.json")
    if pooling.get("pooling_mode_cls_token"):
        mode = "cls"
    elif pooling.get("pooling_mode_mean_tokens", True):
        mode = "mean"
    else:
        raise ConfigError(f"The ONNX embedding backend pools by mean or CLS token; {model_path} pools otherwise. "
                          "Set AW_EMBEDDING_BACKEND=torch for this model.")
    sbert = _read_json(model_path / "sentence_bert_config.json")
    tokenizer_config = _read_json(model_path / "tokenizer_config.json")
    # sentence-transformers' rule: max_seq_length, else the tokenizer's model_max_length, both
    # capped at the model's position embeddings.
    limits = [v for v in (sbert.get("max_seq_length") or tokenizer_config.get("model_max_length"),
                          config.get("max_position_embeddings")) if isinstance(v, int) and v > 0]
    return {
        "pooling": mode,
        "dimension": int(pooling.get("word_embedding_dimension") or config.get("hidden_size") or 0),
        "max_seq_length": min(limits) if limits else 512,
        "lowercase": bool(sbert.get("do_lower_case", False)),
    }


def load_tokenizer(model_path: Path, max_length: int | None):
    """The model's fast tokenizer; truncating to ``max_length`` and padding to the longest, or neither."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    saved = tokenizer.padding or {}
    # The saved tokenizer.json of sentence-transformers models pads and truncates to a fixed 128;
    # sentence-transformers overrides both on every call, so this does too.
    tokenizer.no_padding()
    tokenizer.no_truncation()
    if max_length is not None:
        tokenizer.enable_truncation(max_length=max_length)
        pad_token = saved.get("pad_token") or "[PAD]"
        pad_id = saved.get("pad_id", tokenizer.token_to_id(pad_token) or 0)
        tokenizer.enable_padding(pad_id=pad_id, pad_token=pad_token)  # to the longest text, not a fixed length
    return tokenizer


class TokenCounter:
    """Tokens of the model's tokenizer without special tokens, never truncated (for chunking)."""

    def __init__(self, model_path: Path):
        self._tokenizer = load_tokenizer(model_path, None)

    def count(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def count_many(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in self._tokenizer.encode_batch(list(texts), add_special_tokens=False)]


class OnnxEncoder:
    """Normalised sentence vectors from an exported ONNX model; thread-safe (ONNX Runtime sessions are)."""

    def __init__(self, model_path: Path, onnx_file: Path, batch_size: int = 64):
        import onnxruntime

        layout = model_layout(model_path)
        self.pooling, self.dimension = layout["pooling"], layout["dimension"]
        self.lowercase = layout["lowercase"]
        self.batch_size = max(1, min(batch_size, RUN_BATCH))
        self._tokenizer = load_tokenizer(model_path, layout["max_seq_length"])
        options = onnxruntime.SessionOptions()
        # No spinning between operators: the machine is shared with the app's other threads and
        # the other processes, and threads that spin while waiting would take their CPU.
        options.intra_op_num_threads = _threads_wanted()
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # warnings about the fused graph are for its developers
        self._session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = [t.lower() for t in texts] if self.lowercase else list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            out[rows] = self._encode([encodings[i] for i in rows])
        return out

    def _encode(self, encodings) -> np.ndarray:
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        # All texts were padded to the longest of the call; this batch needs only its own longest.
        width = int(mask.sum(axis=1).max())
        ids, mask = ids[:, :width], mask[:, :width]
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feed)[0]
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32, copy=False)


def _threads_wanted() -> int:
    """OMP_NUM_THREADS when set (the usual knob for CPU inference threads: torch reads it, ONNX
    Runtime does not), else 0: ONNX Runtime's own choice, one thread per physical core."""
    try:
        return max(0, int(os.environ.get("OMP_NUM_THREADS", "0")))
    except ValueError:
        return 0

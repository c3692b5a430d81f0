"""The ONNX copy of a local sentence-transformers model: exported once into the data dir, then reused.

``ensure_export(model_path, models_dir, backend)`` returns ``<models_dir>/<model>-onnx/model.onnx``
(or ``-onnx-int8``), exporting it first when it is missing, stale or broken. Nothing is
downloaded: the export reads the model folder the settings name (the packaged
all-MiniLM-L6-v2 by default). By default the export itself is made once per machine, in the
user's cache, and each data dir gets a hard link to it (``seed_dir``).

The export needs torch and transformers, which the serving process must not import when it runs
the ONNX backend (they cost hundreds of MB of memory for the life of the process). So the export
runs once in a child process, ``python -m core.embedding_export SOURCE STAGING --variant fp32``,
and the serving process only runs ONNX Runtime.

Safe against crashes and concurrent starts:
- the child writes into a fresh staging dir next to the target; the target appears only by
  ``os.rename`` of a complete, checked export, so a reader sees all of it or none;
- ``export.json`` records what the export was made from (the source folder, its weight files'
  sizes and times, this module's recipe version); a target whose stamp does not match, or whose
  model file is missing or of another size, is moved aside and exported again;
- an exclusive ``flock`` on ``<models_dir>/.<name>.lock`` makes a second process (the app and
  the endpoint starting together) wait for the first one's export and then reuse it.
"""

from __future__ import annotations

import argparse
import inspect
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from core.data_lock import wait_for_flock
from core.errors import BackendUnavailable, ConfigError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock; the atomic rename still protects readers
    fcntl = None

logger = logging.getLogger(__name__)

# Bump when the export recipe changes (exporter options, fusion, quantisation): old exports
# then no longer match their stamp and are made again.
RECIPE_VERSION = 1
MODEL_FILE = "model.onnx"
STAMP_FILE = "export.json"
VARIANTS = {"onnx": "fp32", "onnx-int8": "int8"}  # AW_EMBEDDING_BACKEND -> what is exported
EXPORT_TIMEOUT_SECONDS = 900.0  # the export takes 10-30 s on a 2-core machine; far more means it hangs
_WEIGHT_FILES = ("config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# The int8 variant keeps the feed-forward down-projection of the first two layers in float:
# their inputs (GELU outputs of the early layers) have outliers that one dynamic int8 scale per
# tensor rounds badly. Cosine to the float model on 300 PEP chunks (bench/embed.py's): all
# weights int8, min 0.949 / mean 0.993; these two in float, min 0.986 / mean 0.995 at the same
# speed; all six layers' in float, min 0.989 / mean 0.997 but about 20% slower. The lowest are
# PEP header chunks ("PEP: 250 Title: ... Author: ..."), near-duplicates of each other anyway.
_KEEP_FLOAT = re.compile(r"layer\.[01]/output/dense/MatMul$")


def export_dir(models_dir: Path, model_path: Path, backend: str) -> Path:
    """Where the export of ``model_path`` for ``backend`` (``onnx`` or ``onnx-int8``) lives."""
    if backend not in VARIANTS:
        raise ConfigError(f"No ONNX export for the embedding backend {backend!r}; choose one of: {', '.join(VARIANTS)}.")
    name = model_path.name if model_path.name != "model" else model_path.parent.name
    return Path(models_dir) / f"{name}-{backend}"


def source_stamp(model_path: Path, variant: str) -> dict:
    """What an export is made from; an export whose recorded stamp differs is stale."""
    files = {}
    for name in _WEIGHT_FILES:
        path = model_path / name
        if path.exists():
            stat = path.stat()
            files[name] = [stat.st_size, stat.st_mtime_ns]
    return {"recipe": RECIPE_VERSION, "variant": variant, "source": str(model_path.resolve()), "files": files}


def is_complete(target: Path, stamp: dict) -> bool:
    """True when ``target`` holds a finished export of exactly ``stamp``'s source."""
    try:
        recorded = json.loads((target / STAMP_FILE).read_text(encoding="utf-8"))
        size = (target / MODEL_FILE).stat().st_size
    except (OSError, ValueError):
        return False
    return isinstance(recorded, dict) and recorded.get("stamp") == stamp and recorded.get("model_bytes") == size


def ensure_export(model_path: Path, models_dir: Path, backend: str,
                  timeout_seconds: float = EXPORT_TIMEOUT_SECONDS, seed_dir: Path | None = None) -> Path:
    """The ONNX model file for ``backend``, exported first if needed (once, whoever asks first).

    With ``seed_dir`` (the machine's cache, ``EmbeddingSettings.export_cache_dir``), the export is made there
    once and hard-linked (else copied) into ``models_dir``: every data dir on the machine, the
    test suite's hundreds included, shares one export instead of spending 10-30 s on its own.
    """
    model_path = Path(model_path)
    target = export_dir(models_dir, model_path, backend)
    stamp = source_stamp(model_path, VARIANTS[backend])
    if is_complete(target, stamp):
        return target / MODEL_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    with _export_lock(target, timeout_seconds + 60):
        if is_complete(target, stamp):  # another process exported it while this one waited
            return target / MODEL_FILE
        _discard_leftovers(target)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
        started = time.monotonic()
        try:
            seeded = _from_seed(model_path, seed_dir, target, backend, timeout_seconds)
            if seeded is not None:
                _link_or_copy(seeded, staging / MODEL_FILE)
            else:
                logger.info("exporting the embedding model %s to ONNX (%s) into %s, once", model_path, backend, target)
                _run_export(model_path, staging, VARIANTS[backend], timeout_seconds)
            model_file = staging / MODEL_FILE
            if not model_file.is_file():
                raise BackendUnavailable(f"Exporting {model_path} to ONNX wrote no {MODEL_FILE}.")
            _write_json(staging / STAMP_FILE, {"stamp": stamp, "model_bytes": model_file.stat().st_size})
            os.rename(staging, target)
            logger.info("the embedding model's ONNX export is in %s (%.1f s)", target, time.monotonic() - started)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return target / MODEL_FILE


def _from_seed(model_path: Path, seed_dir: Path | None, target: Path, backend: str,
               timeout_seconds: float) -> Path | None:
    """The seed dir's export (made there first if needed), or None to export into ``target`` itself."""
    if seed_dir is None or Path(seed_dir).resolve() == target.parent.resolve():
        return None
    try:
        return ensure_export(model_path, Path(seed_dir), backend, timeout_seconds)
    except OSError as exc:  # a cache that cannot be written (read-only home): export here instead
        logger.info("the shared export cache %s is not usable (%s); exporting into %s", seed_dir, exc, target)
        return None


def _link_or_copy(source: Path, destination: Path) -> None:
    try:
        os.link(source, destination)  # no second 90 MB: exports are never written in place
    except OSError:  # another file system, or no hard links there
        shutil.copyfile(source, destination)


def _discard_leftovers(target: Path) -> None:
    """Move a stale or broken export aside and delete it, with staging dirs of crashed exports.

    Only called under the lock: no other process is writing these paths then.
    """
    if target.exists() or target.is_symlink():
        aside = target.with_name(f".{target.name}.stale-{uuid.uuid4().hex[:8]}")
        os.rename(target, aside)  # gone from readers in one step, then deleted at leisure
        shutil.rmtree(aside, ignore_errors=True)
    for leftover in target.parent.glob(f".{target.name}.st*-*"):
        shutil.rmtree(leftover, ignore_errors=True)


@contextmanager
def _export_lock(target: Path, timeout_seconds: float) -> Iterator[None]:
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(target.parent / f".{target.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        wait_for_flock(fd, time.monotonic() + timeout_seconds, lambda: BackendUnavailable(
            f"Another process has been exporting the embedding model to {target} for over "
            f"{timeout_seconds:.0f} s; stop it, or set AW_EMBEDDING_BACKEND=torch."), max_delay=1.0)
        yield
    finally:
        os.close(fd)  # closing drops the flock, also when the process dies


def _run_export(model_path: Path, staging: Path, variant: str, timeout_seconds: float) -> None:
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")  # never a download
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
    command = [sys.executable, "-m", "core.embedding_export", str(model_path), str(staging), "--variant", variant]
    try:
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=timeout_seconds)
    except subprocess.TimeoutExpired:
        raise BackendUnavailable(f"Exporting the embedding model {model_path} to ONNX took over "
                                 f"{timeout_seconds:.0f} s and was stopped; set AW_EMBEDDING_BACKEND=torch "
                                 "to run it without ONNX.") from None
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout or "").strip().splitlines() if line.strip()]
        reason = lines[-1].strip() if lines else f"exit code {done.returncode}"
        raise ConfigError(f"Exporting the embedding model {model_path} to ONNX failed ({reason}). "
                          "Set AW_EMBEDDING_BACKEND=torch to run it without ONNX.")


def _write_json(path: Path, value: dict) -> None:
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(value, stream, indent=1)
        stream.flush()
        os.fsync(stream.fileno())


# ---------------------------------------------------------------------------------------------
# The child process: torch, transformers and onnx live only here.


def export_model(source: Path, out_dir: Path, variant: str) -> Path:
    """Write ``out_dir/model.onnx`` from the model folder ``source`` (``variant`` fp32 or int8)."""
    import torch
    from transformers import AutoModel

    config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    # Eager attention traces into plain ONNX ops that ONNX Runtime's fusions recognise.
    model = AutoModel.from_pretrained(str(source), local_files_only=True, attn_implementation="eager").eval()
    inputs = tuple(name for name in _INPUTS if name in inspect.signature(model.forward).parameters)

    class Encoder(torch.nn.Module):
        """The transformer's last hidden state; pooling happens in the runtime (core.embeddings_onnx)."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *tensors):
            return self.inner(**dict(zip(inputs, tensors))).last_hidden_state

    check = _reference(model, source, inputs)
    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    # A padded row: with a mask of all ones transformers may drop the mask, and the trace would
    # bake that in, so padded batches would attend to their padding.
    mask[1, 10:] = 0
    example = (ids, mask, torch.zeros_like(ids))[: len(inputs)]
    raw = out_dir / "raw.onnx"
    axes = {name: {0: "batch", 1: "sequence"} for name in (*inputs, "last_hidden_state")}
    with torch.no_grad():
        # The TorchScript exporter (dynamo=False) needs only the onnx package; the newer
        # torch.export one also needs onnxscript and onnx-ir, and gave the same vectors.
        # The wrapper goes into inference mode too (Module.eval): the exporter puts back the
        # wrapper's mode afterwards, and a new module is in training mode (dropout on).
        torch.onnx.export(Encoder(model).eval(), example, str(raw), input_names=list(inputs),
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False)
    fused = _fuse(raw, out_dir / "fused.onnx", config)
    final = out_dir / MODEL_FILE
    if variant == "int8":
        _quantize(fused, final)
    else:
        os.replace(fused, final)
    for leftover in (raw, fused):
        leftover.unlink(missing_ok=True)
    _check_export(check, final, variant)
    return final


def _fuse(raw: Path, out: Path, config: dict) -> Path:
    """Fuse attention, layer norms and GELU into ONNX Runtime's BERT kernels (saved, so done once)."""
    if config.get("model_type") != "bert":
        os.replace(raw, out)  # other architectures: ONNX Runtime's own load-time fusions only
        return out
    from onnxruntime.transformers.optimizer import optimize_model

    optimized = optimize_model(str(raw), model_type="bert", num_heads=int(config["num_attention_heads"]),
                               hidden_size=int(config["hidden_size"]), opt_level=1)
    optimized.save_model_to_file(str(out))
    return out


def _quantize(fused: Path, out: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fused), load_external_data=False).graph
    keep_float = [node.name for node in graph.node if node.op_type == "MatMul" and _KEEP_FLOAT.search(node.name)]
    # Per-channel weight scales: one scale per output column instead of per matrix (per-tensor
    # gave cosine min 0.884 against the float model). DefaultTensorType: the fused kernels are in
    # ONNX Runtime's own domain, where shape inference cannot type their outputs.
    quantize_dynamic(str(fused), str(out), weight_type=QuantType.QInt8, per_channel=True,
                     nodes_to_exclude=keep_float, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


def _reference(model, source: Path, inputs: tuple[str, ...]) -> tuple[dict, "np.ndarray"]:
    """Two texts (one padded, as in real batches) and the model's mean-pooled vectors for them."""
    import numpy as np
    import torch
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.enable_padding()  # to the longest
    encoded = tokenizer.encode_batch(["Late deliveries are refunded.",
                                      "What does the returns policy say about damaged items bought online?"])
    ids = np.array([e.ids for e in encoded], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
    feed = dict(zip(inputs, (ids, mask, np.zeros_like(ids))))
    with torch.no_grad():
        hidden = model(**{k: torch.from_numpy(v) for k, v in feed.items()}).last_hidden_state.numpy()
    return feed, _mean_pool(hidden, mask)


def _mean_pool(hidden, mask):
    weights = mask[..., None].astype("float32")
    pooled = (hidden * weights).sum(1) / weights.sum(1)
    return pooled / ((pooled ** 2).sum(1, keepdims=True) ** 0.5)


def _check_export(check: tuple[dict, "np.ndarray"], onnx_file: Path, variant: str) -> None:
    """Refuse an export whose vectors are not the model's: a wrong trace must not serve search."""
    import onnxruntime

    feed, expected = check
    session = onnxruntime.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    got = _mean_pool(session.run(None, feed)[0], feed["attention_mask"])
    cosine = float((got * expected).sum(1).min())
    floor = 0.999 if variant == "fp32" else 0.97
    if cosine < floor:
        raise RuntimeError(f"the ONNX export's vectors differ from the model's (cosine {cosine:.4f} < {floor})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Export a local sentence-transformers model to ONNX (run by ensure_export).")
    parser.add_argument("source", type=Path, help="the model folder")
    parser.add_argument("out_dir", type=Path, help="an empty staging folder")
    parser.add_argument("--variant", choices=sorted(set(VARIANTS.values())), default="fp32")
    args = parser.parse_args(argv)
    export_model(args.source, args.out_dir, args.variant)


if __name__ == "__main__":
    main()

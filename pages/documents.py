"""Documents: upload with progress, the library with a chunk viewer, and cited search."""

from __future__ import annotations

import math

import streamlit as st

from core.errors import WorkbenchError
from core.ingest.parsers import SUPPORTED_EXTENSIONS
from core.ingest.pipeline import Upload
from core.retrieval import MODES, SearchFilters, highlight
from core.text_safety import escape_markdown, safe_markdown
from ui.jobs_panel import jobs_list, wait_with_progress
from ui.state import LIBRARY_DOCUMENT_KEY, current_workspace, document_tabs, show_error

workspace = current_workspace()
st.title("Documents")
st.caption(f"Workspace **{workspace.name}** · supported: {', '.join(SUPPORTED_EXTENSIONS)}")

search_tab, upload_tab, library_tab = document_tabs()  # a document the Chat page hands off opens the Library
docs = workspace.documents()  # read once per run, and again after an upload adds some


def progress_callback(bar):
    def report(event) -> None:
        fraction = event.file_index / max(event.file_count, 1)
        if event.stage == "embed" and event.total:
            fraction += (event.done / event.total) / event.file_count
        label = f"{event.filename} ({event.file_index + 1}/{event.file_count}): {event.stage}"
        if event.total:
            label += f" {event.done}/{event.total} chunks"
        bar.progress(min(fraction, 1.0), text=label)
    return report


with upload_tab:
    with st.form("upload", clear_on_submit=True):
        # The browser refuses a file over the workbench's own limit before sending it (Streamlit's
        # default would let 200 MB through); server.maxUploadSize in .streamlit/config.toml is the
        # server's ceiling. The pipeline still checks the size before reading a file.
        max_file_mb = workspace.ingest_settings.max_file_mb
        files = st.file_uploader("Files", accept_multiple_files=True, max_upload_size=max(1, math.ceil(max_file_mb)),
                                 help=f"Many files at once, up to {max_file_mb:g} MB each; one bad file never stops the others.")
        col_type, col_tags = st.columns(2)
        doc_type = col_type.text_input("Document type", placeholder="e.g. policy, complaint, report (default: from the file)")
        tags_text = col_tags.text_input("Tags", placeholder="comma separated, e.g. q3, logistics")
        password = st.text_input("Password for encrypted PDFs", type="password", help="Only needed for password-protected PDFs.")
        submitted = st.form_submit_button("Upload and index", type="primary")
    if submitted:
        if not files:
            st.warning("Choose at least one file to upload.")
        else:
            # Deferred: a file over the limit is refused by its size, never copied into memory, and
            # the others are read one at a time as they are indexed.
            uploads = [Upload.deferred(f.name, f.size, f.getvalue, password or None) for f in files]
            tags = [t.strip() for t in tags_text.split(",") if t.strip()]
            bar = st.progress(0.0, text="Starting...")
            try:
                results = workspace.ingest(uploads, doc_type=doc_type.strip(), tags=tags, progress=progress_callback(bar))
            except WorkbenchError as exc:
                show_error(exc)
            else:
                bar.progress(1.0, text="Done.")
                docs = workspace.documents()
                st.session_state["upload_results"] = [r.to_dict() for r in results]
    if st.session_state.get("upload_results"):
        results = st.session_state["upload_results"]
        counts = {s: sum(r["status"] == s for r in results) for s in ("ingested", "duplicate", "indexing", "error")}
        summary = f"**{counts['ingested']}** ingested · **{counts['duplicate']}** duplicate · **{counts['error']}** error"
        if counts["indexing"]:
            summary += f" · **{counts['indexing']}** still being indexed by an earlier upload"
        st.markdown(summary)
        st.dataframe(
            [{"file": r["file"], "status": r["status"], "chunks": r["chunks"],
              "reason": r["error"] or ("being indexed by an earlier upload; it appears in the Library when done"
                                       if r["status"] == "indexing" else "")} for r in results],
            hide_index=True, width="stretch",
        )
    with st.expander("Jobs", expanded=False):
        jobs_list(workspace.jobs)

with library_tab:
    if not docs:
        st.info("No documents in this workspace yet: upload some in the Upload tab.")
    else:
        st.dataframe(
            [{"title": d.title, "file": d.filename, "type": d.doc_type, "tags": ", ".join(d.tags), "chunks": d.chunk_count,
              "KB": round(d.size_bytes / 1024, 1), "added": d.created_at[:16].replace("T", " ")} for d in docs],
            hide_index=True, width="stretch",
        )
        labels = {d.id: f"{d.title} ({d.filename})" for d in docs}
        chosen = st.selectbox("Document", list(labels), format_func=labels.get, key=LIBRARY_DOCUMENT_KEY)
        document = next(d for d in docs if d.id == chosen)
        col_view, col_actions = st.columns([3, 1])
        with col_actions:
            original = workspace.original_file(document.id)
            if original.exists():
                st.download_button("Download original", original.read_bytes(), file_name=document.filename)
            else:
                st.warning("The original file is missing from the data folder; upload it again to restore it.")
            with st.popover("Re-chunk"):
                size = st.number_input("Chunk size (tokens)", 50, 1000, workspace.ingest_settings.chunk_tokens, step=10)
                overlap = st.number_input("Overlap (tokens)", 0, 500, workspace.ingest_settings.chunk_overlap, step=5)
                if st.button("Re-chunk this document"):
                    try:
                        job = workspace.jobs.reindex(document.id, document.title, chunk_tokens=int(size),
                                                     chunk_overlap=int(overlap))
                        finished = wait_with_progress(workspace.jobs, job)
                    except WorkbenchError as exc:
                        show_error(exc)
                    else:
                        if finished.status == "done":
                            st.success(f"Re-chunked into {finished.result.get('chunks', 0)} chunks.")
            if st.button("Delete document", type="secondary"):
                st.session_state["confirm_delete"] = document.id
            if st.session_state.get("confirm_delete") == document.id:
                st.warning(f"Delete **{document.title}** from every store?")
                if st.button("Yes, delete", type="primary"):
                    try:
                        workspace.delete_document(document.id)
                    except WorkbenchError as exc:
                        show_error(exc)
                    else:
                        st.session_state.pop("confirm_delete", None)
                        st.rerun()
        with col_view:
            st.markdown(f"**{document.chunk_count} chunks**")
            for chunk in workspace.chunks(document.id):
                where = [f"#{chunk.position}"]
                if chunk.page is not None:
                    where.append(f"p. {chunk.page}")
                if chunk.heading_path:
                    where.append(" > ".join(chunk.heading_path))
                with st.expander(" · ".join(where) + f" · {chunk.token_count} tokens"):
                    st.text(chunk.text)

with search_tab:
    query = st.text_input("Search", placeholder="e.g. What counts as a late delivery?", key="search_query")
    col_mode, col_k, col_threshold = st.columns(3)
    mode = col_mode.radio("Mode", MODES, horizontal=True, key="search_mode")
    k = col_k.slider("Results", 1, 20, 5, key="search_k")
    threshold = col_threshold.slider("Least similarity (vector)", 0.0, 1.0, 0.0, 0.05, key="search_threshold",
                                     help="0 keeps everything; raise it to hide weak vector matches.")
    with st.expander("Filters"):
        known_types = sorted({d.doc_type for d in docs})
        known_tags = sorted({t for d in docs for t in d.tags})
        types = st.multiselect("Document types", known_types, key="search_types")
        tags = st.multiselect("Tags (all must match)", known_tags, key="search_tags")
    if query:
        filters = SearchFilters(doc_types=tuple(types), tags=tuple(tags))
        try:
            hits = workspace.search(query, k=k, mode=mode, filters=filters, min_similarity=threshold or None)
        except WorkbenchError as exc:
            show_error(exc)
        else:
            if not hits:
                st.info("No matching passages. Try other words, another mode, or fewer filters.")
            for number, hit in enumerate(hits, start=1):
                with st.container(border=True):
                    st.markdown(f"**[{number}] {escape_markdown(hit.citation)}** · score {hit.score:.3f}")
                    # Sanitised last, so nothing in the passage (or the highlighting) can load an image.
                    st.markdown(safe_markdown(highlight(hit.chunk.text, query)))

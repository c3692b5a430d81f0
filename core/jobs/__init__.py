"""Background jobs: long work (uploads, re-chunks, deletes, graph rebuilds, schema training) runs as a job
with a persisted status, so it survives page reloads and restarts and can be watched and cancelled."""

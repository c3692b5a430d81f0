"""The assistant: one chat over documents, graph and database, with numbered sources."""

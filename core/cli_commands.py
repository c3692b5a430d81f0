"""Command groups of the CLI, one import per capability."""

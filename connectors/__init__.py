"""Doors to the outside world, built on core: the Gradio endpoint, the channel bridges with their webhook service, and the catalogue of database engines."""

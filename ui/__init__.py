"""Streamlit helpers shared by app.py and pages/ (the UI edge: may import streamlit)."""

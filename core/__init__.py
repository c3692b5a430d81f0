"""Analyst Workbench core pipeline. Never imports streamlit or gradio."""

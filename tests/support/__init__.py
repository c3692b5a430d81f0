"""Test doubles and helpers shared by tests. Never imported by product code."""

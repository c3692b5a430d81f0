"""Database questions: read-only SQL (guard, per-engine sessions, runner) and text-to-SQL.

Every statement that reaches a user database goes through ``core.sql.runner.GuardedRunner``.
"""

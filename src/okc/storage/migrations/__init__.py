"""Alembic migrations of the okc database schema (run through okc.storage.Database)."""

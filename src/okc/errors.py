"""The one exception tree of okc: every error the library raises derives from OkcError."""

from __future__ import annotations

__all__ = ["ConfigError", "OkcError", "StorageError"]


class OkcError(Exception):
    """Root of every error okc raises on bad input or a failed operation."""


class ConfigError(OkcError):
    """The configuration is invalid; carries every problem with its file, line and field."""


class StorageError(OkcError):
    """The database could not be opened, migrated or written."""

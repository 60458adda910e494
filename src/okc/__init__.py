"""okc: an open-source contact center on one host, as a pure-Python softswitch library."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from okc.errors import OkcError

try:
    __version__ = version("okc")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["OkcError", "__version__"]

"""okc.cli: the `okc` command line (Click). Installed from the top-level cli/ folder."""

"""okc.storage: what the center records, in a database through sqlmodel."""

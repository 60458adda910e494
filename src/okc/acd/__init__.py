"""okc.acd: the automatic call distributor, a sans-I/O engine on an injected clock."""

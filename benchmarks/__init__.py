"""okc benchmarks: each bench_*.py module measures okc beside a peer in the same run."""

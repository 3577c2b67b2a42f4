"""Benchmarks: `make bench` (or `make bench-quick`); see bench/README.md."""

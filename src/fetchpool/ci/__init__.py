"""What CI jobs add around a run: choosing lines (patterns, shards), the cache of recent
results, baselines, and reading and merging jsonl reports."""

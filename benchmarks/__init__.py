"""The benchmarks: fetchbench (fetchpool beside its peers), and scripts of their own for
finding links in documents (extract.py, hostile.py), the messy web (messyweb.py) and the
textbook pattern (textbook.py)."""

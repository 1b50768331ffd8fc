#!/usr/bin/env python3
"""fetchpool side by side with the textbook pattern, curl --parallel, xargs curl and lychee.

    python benchmarks/bench.py [--quick] [--cases ...] [--markdown FILE]

The benchmark is the package beside this file, benchmarks/fetchbench (``python -m
benchmarks.fetchbench`` from the repository's root runs the same); this script lets it run
from anywhere.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.fetchbench.cli import main

if __name__ == "__main__":
    sys.exit(main())

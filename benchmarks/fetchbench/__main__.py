"""python -m benchmarks.fetchbench: run the benchmark (see cli.py for the flags)."""

import sys

from .cli import main

sys.exit(main())

"""fetchpool side by side with the textbook pattern, curl --parallel, xargs curl and lychee.

One command runs every case on this machine and prints a table per case:

    python benchmarks/bench.py [--quick] [--cases ...] [--markdown FILE]
    python -m benchmarks.fetchbench ...        (the same, from the repository's root)

The package's parts are the benchmark's: ``servers`` starts what the tools fetch from
(nginx, a latency server, the messy web), ``tools`` runs each tool and measures a run,
``cases`` makes each case's list and judges its targets, ``tables`` prints the results,
``machine`` says what they were measured on, and ``cli`` reads the flags and runs it all.
"""

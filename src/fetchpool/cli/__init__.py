"""The command line: Click options, config files and ``main``, the one place a run's
outcome or error becomes an exit status."""

from .main import main

__all__ = ["main"]

"""Reading results back from ``-f jsonl`` output: for --baseline and ``fetchpool merge``."""

from __future__ import annotations

from collections.abc import Iterator

from ..core.results import Result
from ..errors import ReportError as ReportError  # importable here too, as before
from .jsonfile import loads


def read_results(path: str) -> Iterator[Result]:
    """The results in a jsonl report, lazily, in file order; blank lines are skipped.

    Raises ReportError naming the file (and line) when it cannot be read or a
    line is not a JSON object describing a result (see jsonfile.loads: a line nested
    too deeply, or holding NaN or Infinity, is not one).
    """
    try:
        stream = open(path, encoding="utf-8")  # noqa: SIM115 - closed in the finally below
    except OSError as exc:
        raise ReportError(f"cannot read {path!r}: {exc.strerror or exc}") from exc
    try:
        number = 0
        while True:
            try:
                text = stream.readline()
            except (OSError, UnicodeDecodeError) as exc:
                raise ReportError(f"cannot read {path!r}: {exc}") from exc
            if not text:
                return
            number += 1
            if not text.strip():
                continue
            try:
                data = loads(text)
                if not isinstance(data, dict):
                    raise ValueError("not a JSON object")
                yield Result.from_dict(data)
            except ValueError as exc:
                raise ReportError(
                    f"{path}:{number}: not a fetchpool jsonl result ({exc});"
                    " write reports with -f jsonl"
                ) from exc
    finally:
        stream.close()

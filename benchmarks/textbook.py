"""The textbook pattern: ``requests.get`` per URL through ``ThreadPoolExecutor.map``.

Usage: python textbook.py URLS_FILE WORKERS [TIMEOUT]. Prints ``URL STATUS`` for each URL, in
input order. TIMEOUT (seconds, 10 by default) is requests' timeout: to connect, and for each read.
"""

import sys
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import requests


def check(url: str, timeout: float) -> str:
    try:
        return str(requests.get(url, timeout=timeout).status_code)
    except requests.RequestException as exc:
        return type(exc).__name__


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as file:
        urls = [line.strip() for line in file if line.strip()]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    with ThreadPoolExecutor(max_workers=int(sys.argv[2])) as pool:
        for url, status in zip(urls, pool.map(partial(check, timeout=timeout), urls), strict=True):
            print(url, status)


if __name__ == "__main__":
    main()

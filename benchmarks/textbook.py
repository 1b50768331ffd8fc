"""The textbook pattern: ``requests.get`` per URL through ``ThreadPoolExecutor.map``.

Usage: python textbook.py URLS_FILE WORKERS. Prints ``URL STATUS`` for each URL, in input order.
"""

import sys
from concurrent.futures import ThreadPoolExecutor

import requests


def check(url: str) -> str:
    try:
        return str(requests.get(url, timeout=10).status_code)
    except requests.RequestException as exc:
        return type(exc).__name__


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as file:
        urls = [line.strip() for line in file if line.strip()]
    with ThreadPoolExecutor(max_workers=int(sys.argv[2])) as pool:
        for url, status in zip(urls, pool.map(check, urls), strict=True):
            print(url, status)


if __name__ == "__main__":
    main()

"""Decode many image files on a few threads, in order, with progress: the one way every folder import does it.

PIL and torch release the GIL while they decode and resize, so threads help;
more than a few only fight over memory bandwidth.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
MAX_DECODE_THREADS = 4


def decode_in_parallel(
    items: Sequence[Item],
    decode: Callable[[Item], Result],
    progress: Callable[[int, int], None] | None = None,
    already_done: int = 0,
) -> list[Result]:
    """``[decode(item) for item in items]``, a few at a time, in order.

    ``progress(done, total)`` is called after each item; ``already_done`` items
    (served from a cache, say) count towards ``total`` from the start.
    """
    total = already_done + len(items)
    if progress:
        progress(already_done, total)
    results: list[Result] = []
    workers = min(MAX_DECODE_THREADS, os.cpu_count() or 1, len(items))
    if workers <= 1:
        mapped = map(decode, items)
        for result in mapped:
            results.append(result)
            if progress:
                progress(already_done + len(results), total)
        return results
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cnnstudio-decode") as pool:
        for result in pool.map(decode, items):
            results.append(result)
            if progress:
                progress(already_done + len(results), total)
    return results

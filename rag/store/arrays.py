"""Sorted unique ids by one sort, for the read path.

`np.unique` in numpy 2 first tries a hash table (~5x slower than sorting at the few thousand
postings of a query: 110 vs 20 us) and, on that path, asks `np.ma.is_masked`, whose first use
imports `numpy.ma` (~7 ms of `rag search`'s cold start). Same values, same dtype.
"""

from __future__ import annotations

import numpy as np


def unique_sorted(values: np.ndarray) -> np.ndarray:
    """`np.unique(values)` for a 1-D integer array."""
    values = np.sort(np.ravel(values))
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values

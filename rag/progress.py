"""The one progress bar of long runs (indexing, eval, bench): a total, an ETA, and a final line kept."""

from __future__ import annotations

import sys
from typing import Any


def progress_bar(*, total: int | None, desc: str, unit: str, enabled: bool = True) -> Any:
    """A tqdm bar on stderr; disabled, it costs nothing and prints nothing.

    The final line stays (leave=True) so the run's count, time and rate remain readable after it.
    """
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        disable=not enabled,
        leave=True,
        dynamic_ncols=True,
        file=sys.stderr,
        smoothing=0.1,
    )

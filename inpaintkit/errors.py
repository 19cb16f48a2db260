"""The kit's one error type for bad input, so that the command line can tell a user's mistake
(one line naming the problem, exit code 2) from a bug in the kit (the full traceback).

``InputError`` is a ``ValueError``: code that catches ``ValueError`` keeps working.
"""
from __future__ import annotations

import numpy as np

__all__ = ["InputError", "check_count", "check_range"]


class InputError(ValueError):
    """An argument, array, file or folder is not what the kit can use; the message names it."""


def check_count(name: str, value, minimum: int = 1) -> int:
    """A whole number of at least ``minimum`` (steps, faces, a batch size), else an error naming
    ``name``: 0 never silently means "the default", and 2.5 or True are not counts."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"{name} must be a whole number of at least {minimum}, got {value!r}")
    return int(value)


def check_range(array, name: str, low: float = -1.0, high: float = 1.0, tolerance: float = 1e-4) -> None:
    """Refuse NaN, infinities and values outside [low, high] (images are in [−1, 1] throughout the
    kit; a 0–255 image would otherwise be clipped or scored as if it were one)."""
    array = np.asarray(array)
    if array.size == 0:
        raise InputError(f"{name} is empty")
    if not np.all(np.isfinite(array)):
        raise InputError(f"{name} holds NaN or infinite values")
    found_low, found_high = float(array.min()), float(array.max())
    if found_low < low - tolerance or found_high > high + tolerance:
        hint = " (it looks like 0–255: use image / 127.5 − 1)" if (low, high) == (-1.0, 1.0) and found_high > 2 else ""
        raise InputError(f"{name} must lie in [{low:g}, {high:g}], found [{found_low:.3g}, {found_high:.3g}]{hint}")

"""The kit's one error type for bad input, so that the command line can tell a user's mistake
(one line naming the problem, exit code 2) from a bug in the kit (the full traceback).

``InputError`` is a ``ValueError``: code that catches ``ValueError`` keeps working.
"""
from __future__ import annotations

import warnings

import numpy as np

__all__ = ["UNIT_RANGE_FLOOR", "InputError", "check_count", "check_range", "image_floats"]


class InputError(ValueError):
    """An argument, array, file or folder is not what the kit can use; the message names it."""


def check_count(name: str, value, minimum: int = 1) -> int:
    """A whole number of at least ``minimum`` (steps, faces, a batch size), else an error naming
    ``name``: 0 never silently means "the default", and 2.5 or True are not counts."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"{name} must be a whole number of at least {minimum}, got {value!r}")
    return int(value)


# An image that never goes below this is taken for one in [0, 1]. Not lower: an untrained G's output
# lies in about [−0.02, 0.03] and is a real [−1, 1] image, so an image in [0, 1] that dips just
# below 0 cannot be told from the pixels (the kit's faces' highest minimum is −0.29).
UNIT_RANGE_FLOOR = 0.0


def check_range(array, name: str, low: float = -1.0, high: float = 1.0, tolerance: float = 1e-4) -> None:
    """Refuse NaN, infinities and values outside [low, high] (images are in [−1, 1] throughout the
    kit; a 0–255 image would otherwise be clipped or scored as if it were one).

    For [−1, 1] (images) it also refuses an image that lies wholly in [0, 1] and is not one flat
    value (each image of an (N, H, W, C) batch on its own): an image in [0, 1] passed where
    [−1, 1] is meant would be scored and blended on the wrong scale without a word. A face on the
    [−1, 1] scale has pixels darker than mid-grey (eyes, hair, shadows): none of the 15,063 CelebA
    faces of the kit's subset nor of its 36 portraits lies wholly in [0, 1] (the highest minimum
    of any of them is −0.29), so no real face is refused; a flat grey, black or white image passes.
    """
    array = np.asarray(array)
    if array.size == 0:
        raise InputError(f"{name} is empty")
    if not np.all(np.isfinite(array)):
        raise InputError(f"{name} holds NaN or infinite values")
    found_low, found_high = float(array.min()), float(array.max())
    images = (low, high) == (-1.0, 1.0)
    if found_low < low - tolerance or found_high > high + tolerance:
        hint = " (it looks like 0–255: use image / 127.5 − 1)" if images and found_high > 2 else ""
        raise InputError(f"{name} must lie in [{low:g}, {high:g}], found [{found_low:.3g}, {found_high:.3g}]{hint}")
    if images:
        # Image by image for a batch, so that one [0, 1] image among [−1, 1] ones is caught too.
        batch = array.reshape(len(array), -1) if array.ndim == 4 else array.reshape(1, -1)
        lows, highs = batch.min(axis=1), batch.max(axis=1)
        wrong = np.flatnonzero((lows >= UNIT_RANGE_FLOOR) & (highs > lows))
        if wrong.size:
            i = int(wrong[0])
            which = f"{name} (image {i} of {len(batch)})" if array.ndim == 4 else name
            raise InputError(f"{which} must lie in [-1, 1] but lies in [0, 1] (found [{lows[i]:.3g}, {highs[i]:.3g}], "
                             f"no value below {UNIT_RANGE_FLOOR:g}): it looks like an image in [0, 1]; convert it with image * 2 − 1")


def image_floats(array, name: str) -> np.ndarray:
    """An image array ready for the kit's [−1, 1] checks: uint8 (0–255, unambiguous) is converted
    to float32 in [−1, 1] with a warning that says so; any other dtype comes back as it is, for
    :func:`check_range` to judge (a float 0–255 or [0, 1] image is refused there, not guessed)."""
    array = np.asarray(array)
    if array.dtype == np.uint8:
        warnings.warn(f"{name} is uint8 (0–255): converted to the kit's [−1, 1] as {name} / 127.5 − 1",
                      stacklevel=3)
        return array.astype(np.float32) / np.float32(127.5) - np.float32(1.0)
    return array

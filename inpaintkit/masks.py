"""The six hole patterns of §3.3, as boolean ``known`` masks.

Convention everywhere in the kit: ``known`` is a boolean array, True on the clean pixels (the
paper's Mᶜ) and False on the missing ones (the paper's M). One mask covers all colour channels.
Shapes: (64, 64) for one image, (N, 64, 64) for a batch.

Choices the paper leaves open, each a parameter:
- (2) "big random square, 50 %": side 45 (45² / 64² = 49.4 %).
- (3) "one vertical and one horizontal stripe": the width is not printed. Its Table 1 errors sit
  at or above those of the 50 % patterns (MSE 2011 against 1852 and 1981), so the default width
  is 20 px, which removes 52.7 % of the image; stripe positions are random and stay inside.
- (6) "70 % missing at random": exactly round(0.7·64²) pixels, chosen uniformly.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .errors import InputError, check_count

__all__ = ["HOLE_BELOW", "PATTERNS", "SIZE", "apply_mask", "broadcast_masks", "face_mask", "make_mask",
           "make_masks", "mask_from_png", "mask_from_strokes", "MaskError", "missing_fraction", "parse_patterns",
           "pattern", "Pattern", "read_mask", "validate_known"]

SIZE = 64


class MaskError(InputError):
    """A mask is not a usable known/missing mask."""


@dataclass(frozen=True)
class Pattern:
    number: int
    key: str
    name: str
    mu: float                # the paper's µ for the refinement stage (§3.3)
    missing_fraction: float  # at the default parameters on 64×64


PATTERNS: dict[int, Pattern] = {p.number: p for p in (
    Pattern(1, "random_square", "random square (25 %)", 0.66, 0.25),
    Pattern(2, "big_random_square", "big random square (50 %)", 0.33, 45 * 45 / 4096),
    Pattern(3, "stripes", "vertical + horizontal stripe", 0.2, (2 * 64 * 20 - 20 * 20) / 4096),
    Pattern(4, "left", "left half", 0.33, 0.5),
    Pattern(5, "center", "centred square (25 %)", 0.66, 0.25),
    Pattern(6, "random_70", "70 % random pixels", 0.2, round(0.7 * 4096) / 4096),
)}
_BY_KEY = {p.key: p for p in PATTERNS.values()}


def pattern(which: int | str | Pattern) -> Pattern:
    """A pattern by number (1–6), key ('center') or itself."""
    if isinstance(which, Pattern):
        return which
    if isinstance(which, (int, np.integer)) and not isinstance(which, bool) and int(which) in PATTERNS:
        return PATTERNS[int(which)]
    if isinstance(which, str):
        if which.isdigit() and int(which) in PATTERNS:
            return PATTERNS[int(which)]
        if which in _BY_KEY:
            return _BY_KEY[which]
    raise MaskError(f"unknown hole pattern {which!r}: use 1–6 or one of {sorted(_BY_KEY)}")


def parse_patterns(text: str) -> list[int]:
    """'1-6' → [1..6]; '1,3,5' → [1, 3, 5]; '5' → [5]."""
    numbers: list[int] = []
    for part in str(text).split(","):
        part = part.strip()
        try:
            if "-" in part:
                low, high = (int(v) for v in part.split("-", 1))
                if low > high:
                    raise ValueError
                numbers.extend(range(low, high + 1))
            elif part:
                numbers.append(int(part))
        except ValueError:
            raise MaskError(f"cannot read {part!r} in {text!r}: write patterns as '1-6' or '1,3,5'") from None
    for number in numbers:
        pattern(number)
    if not numbers:
        raise MaskError(f"no pattern in {text!r}")
    return numbers


def make_mask(which: int | str | Pattern, seed: int | np.random.Generator | None = None, *,
              size: int = SIZE, square: int = 32, big_square: int = 45, stripe_width: int = 20,
              missing: float = 0.7) -> np.ndarray:
    """One ``known`` mask (size × size, bool) of a pattern; random patterns are drawn from ``seed``."""
    p = pattern(which)
    if seed is not None and not isinstance(seed, np.random.Generator):
        check_count("seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    known = np.ones((size, size), dtype=bool)
    if p.number in (1, 2):
        side = square if p.number == 1 else big_square
        if not 0 < side < size:
            raise MaskError(f"square side must be between 1 and {size - 1}, got {side}")
        top, left = rng.integers(0, size - side + 1, size=2)
        known[top:top + side, left:left + side] = False
    elif p.number == 3:
        if not 0 < stripe_width < size:
            raise MaskError(f"stripe width must be between 1 and {size - 1}, got {stripe_width}")
        row, col = rng.integers(0, size - stripe_width + 1, size=2)
        known[row:row + stripe_width, :] = False
        known[:, col:col + stripe_width] = False
    elif p.number == 4:
        known[:, : size // 2] = False
    elif p.number == 5:
        if not 0 < square < size:
            raise MaskError(f"square side must be between 1 and {size - 1}, got {square}")
        start = (size - square) // 2
        known[start:start + square, start:start + square] = False
    else:
        count = round(missing * size * size) if 0 < missing < 1 else 0
        if not 0 < count < size * size:  # a fraction that rounds to no hole, or to no known pixel
            raise MaskError(f"missing fraction must leave at least one missing and one known pixel of "
                            f"{size}×{size}, got {missing}")
        holes = rng.choice(size * size, size=count, replace=False)
        known.flat[holes] = False
    return known


def make_masks(which: int | str | Pattern, count: int, seed: int | None = 0, **params) -> np.ndarray:
    """``count`` masks of one pattern, (count, 64, 64) bool; reproducible from ``seed``."""
    check_count("count", count)
    if seed is not None:
        check_count("seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    return np.stack([make_mask(which, rng, **params) for _ in range(count)])


def validate_known(known, *, batch: int | None = None, size: int = SIZE) -> np.ndarray:
    """Check a mask (or a batch of masks) and return it as bool.

    Accepts bool arrays or numbers that are all 0 or 1. Errors name the problem: wrong shape,
    values other than 0/1, a mask with no missing pixel, or with no known pixel.
    """
    array = np.asarray(known)
    if array.dtype != bool:
        if not np.issubdtype(array.dtype, np.number):
            raise MaskError(f"mask must be boolean or 0/1 numbers, got dtype {array.dtype}")
        values = np.unique(array)
        if not np.all(np.isin(values, (0, 1))):
            raise MaskError(f"mask must hold only 0/1 (or True/False), found values like {values[:5]}")
        array = array.astype(bool)
    if array.ndim not in (2, 3) or array.shape[-2:] != (size, size):
        raise MaskError(f"mask must have shape ({size}, {size}) or (N, {size}, {size}), got {array.shape}")
    flat = array.reshape(-1, size * size)
    if batch is not None and array.ndim == 3 and len(array) != batch:
        raise MaskError(f"{len(array)} masks for a batch of {batch} images")
    if np.any(flat.all(axis=1)):
        raise MaskError(f"mask {int(np.argmax(flat.all(axis=1)))} has no missing pixel: nothing to inpaint")
    if np.any(~flat.any(axis=1)):
        raise MaskError(f"mask {int(np.argmax(~flat.any(axis=1)))} has no known pixel: nothing to condition on")
    return array


def broadcast_masks(known, count: int) -> np.ndarray:
    """A validated (count, 64, 64) batch from one mask or a batch of masks."""
    known = validate_known(known, batch=count)
    return np.broadcast_to(known, (count,) + known.shape[-2:]).copy() if known.ndim == 2 else known


HOLE_BELOW = 0.5  # a mask pixel darker than this (0 = black, 1 = white), or more transparent, is a hole


def read_mask(source, *, name: str | None = None) -> tuple[np.ndarray, list[str]]:
    """A mask image drawn as in the paper's Fig. 3 (white = known, black = hole), at its own size:
    ``known`` (H×W bool) and notes saying how it was read.

    ``source`` is a path or a file's bytes. Every encoding reads the same way: 1-bit, 8- and
    16-bit grey, palette, RGB (read by its brightness, the luminance of skimage's ``rgb2gray``)
    and with transparency. A pixel is a hole when its brightness is below 50 %, or when it is
    more than 50 % transparent (alpha 0 = hole, as an eraser leaves it); a note says so whenever
    grey levels, colour or transparency had to be read. EXIF orientation is applied (as for
    photos), so a mask lies on its photo as both are shown.
    """
    label = name or ("uploaded mask" if isinstance(source, (bytes, bytearray, memoryview)) else str(source))
    opened_from = io.BytesIO(bytes(source)) if isinstance(source, (bytes, bytearray, memoryview)) else source
    notes: list[str] = []
    try:
        with Image.open(opened_from) as opened:
            opened.load()
            turned = opened.getexif().get(0x0112, 1) not in (0, 1)
            image = ImageOps.exif_transpose(opened) if turned else opened.copy()
    except FileNotFoundError:
        raise MaskError(f"mask file {label} does not exist") from None
    except Exception as error:  # Pillow raises many types for a damaged or unknown file
        raise MaskError(f"cannot read mask file {label}: {error.__class__.__name__}: {error}") from None
    if turned:
        notes.append("turned upright (EXIF orientation)")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode == "CMYK":
        image = image.convert("RGB")
    alpha = None
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        alpha = np.asarray(image.getchannel("A"), np.float64) / 255.0
        image = image.convert("RGB" if image.mode in ("RGBA", "PA", "RGBa") else "L")
    array = np.asarray(image)
    if array.dtype == bool or (np.issubdtype(array.dtype, np.integer) and array.max(initial=0) <= 1):
        grey = array.astype(np.float64)  # a 1-bit PNG, or a mask saved as 0/1 numbers
    elif np.issubdtype(array.dtype, np.floating):
        grey = np.clip(array.astype(np.float64), 0.0, 1.0) if array.max(initial=0) <= 1 else array / 255.0
    else:  # 8 or 16 bits (Pillow may hold 16-bit grey as 32-bit integers)
        eight_bits = array.dtype == np.uint8 or (array.dtype != np.uint16 and array.max(initial=0) <= 255)
        grey = array.astype(np.float64) / (255.0 if eight_bits else 65535.0)
    if grey.ndim == 3:
        colour = grey[..., :3]
        if np.ptp(colour, axis=-1).max(initial=0) > 2 / 255:
            notes.append("colours read by their brightness")
        from skimage.color import rgb2gray

        grey = rgb2gray(colour)
    known = grey >= HOLE_BELOW
    grey_levels = (grey > 2 / 255) & (grey < 1 - 2 / 255)
    if grey_levels.any():
        notes.append(f"grey levels: darker than 50 % read as hole ({grey_levels.mean():.1%} of the pixels are grey)")
    if alpha is not None:
        if alpha.min() < 1.0:
            transparent = alpha < HOLE_BELOW
            known &= ~transparent
            notes.append(f"transparency: more than 50 % transparent read as hole "
                         f"({transparent.mean():.1%} of the pixels)")
        else:
            notes.append("alpha channel dropped (fully opaque)")
    return known, notes


def face_mask(known, *, name: str = "mask") -> tuple[np.ndarray, list[str]]:
    """A mask read at its own size as a mask of the 64×64 face: 64×64 as it is, a square of a
    multiple of 64 (the face drawn larger, e.g. on notebook 07's 4× canvas) by nearest neighbour
    with a note. Any other size is refused: it is never stretched onto the face. (A mask drawn on
    the photo is cut with the face's own crop: :func:`inpaintkit.faces.mask_for_face`.)"""
    known = np.asarray(known, dtype=bool)
    if known.ndim != 2:
        raise MaskError(f"{name} has shape {known.shape}, not H×W")
    height, width = known.shape
    if (height, width) == (SIZE, SIZE):
        return known, []
    if height == width and height % SIZE == 0:
        step = height // SIZE
        note = (f"{name} is {width}×{height}; resized to {SIZE}×{SIZE} (nearest neighbour): "
                f"read as the face drawn {step}× larger")
        return known[step // 2::step, step // 2::step], [note]
    raise MaskError(f"{name} is {width}×{height}, not the {SIZE}×{SIZE} face (or a square of a multiple of {SIZE}): "
                    f"draw it on the {SIZE}×{SIZE} face, or on the photo at the photo's size")


def mask_from_png(path: str | Path) -> np.ndarray:
    """A ``known`` mask of the 64×64 face from a PNG drawn as in the paper's Fig. 3: white = known,
    black = hole (alpha and grey read as :func:`read_mask` says).

    The PNG is 64×64, or the face drawn larger (a square of a multiple of 64, taken by nearest
    neighbour); any other size is refused (:func:`face_mask`). Checked by :func:`validate_known`.
    """
    known, _ = read_mask(path)
    known, _ = face_mask(known, name=f"mask {path}")
    return validate_known(known)


def missing_fraction(known) -> np.ndarray | float:
    """Share of missing pixels per mask."""
    known = np.asarray(known, dtype=bool)
    value = 1.0 - known.reshape(*known.shape[:-2], -1).mean(axis=-1)
    return float(value) if np.ndim(value) == 0 else value


def apply_mask(images, known, fill: float = 0.0) -> np.ndarray:
    """The damaged image y: missing pixels replaced by ``fill`` (for display; the losses ignore them)."""
    images = np.asarray(images, dtype=np.float32)
    known = np.asarray(known, dtype=bool)
    return np.where(known[..., None], images, np.float32(fill))


def mask_from_strokes(strokes, start=None, *, size: int = SIZE) -> np.ndarray:
    """A ``known`` mask from brush strokes drawn with the mouse (notebook 07's canvas).

    ``strokes`` is a sequence of ``(points, radius, erase)``: ``points`` the (x, y) positions the
    mouse passed through, in pixels of the size × size face (x right, y down, pixel centres at
    i + ½); ``radius`` the brush radius in those pixels; ``erase`` False paints a hole (missing
    pixels), True paints known pixels back. Consecutive points are joined, so a fast stroke
    leaves no gaps. Strokes apply in order on top of ``start`` (default: all known, e.g. a
    pattern's mask to edit). The result is not validated: an empty drawing has no hole yet.
    """
    known = np.ones((size, size), bool) if start is None else np.array(start, dtype=bool, copy=True)
    if known.shape != (size, size):
        raise MaskError(f"start mask must have shape ({size}, {size}), got {known.shape}")
    centres = np.stack(np.meshgrid(np.arange(size) + 0.5, np.arange(size) + 0.5), axis=-1)  # (y, x, [x, y])
    for number, stroke in enumerate(strokes):
        try:
            points, radius, erase = stroke
            points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
            radius = float(radius)
        except (TypeError, ValueError):
            raise MaskError(f"stroke {number} must be (points, radius, erase) with points as (x, y) pairs") from None
        if len(points) == 0:
            continue
        if not radius > 0:
            raise MaskError(f"stroke {number}: brush radius must be positive, got {radius}")
        starts, ends = points[:-1], points[1:]
        if len(points) == 1:
            starts, ends = points, points
        touched = np.zeros((size, size), bool)
        for a, b in zip(starts, ends):
            segment = b - a
            length2 = float(segment @ segment)
            t = 0.0 if length2 == 0 else np.clip(((centres - a) @ segment) / length2, 0.0, 1.0)
            nearest = a + np.asarray(t)[..., None] * segment
            touched |= np.sum((centres - nearest) ** 2, axis=-1) <= radius ** 2
        known[touched] = bool(erase)
    return known

"""Your own photo, framed like the training faces (§3.1's CelebA framing, for any photo).

CelebA's aligned crops put the face at a fixed place; the kit's 64×64 faces are the central
108×108 of those 178×218 crops (:mod:`inpaintkit.data`). A photo of your own is not aligned, so:

1. read it as upright RGB (EXIF orientation, grayscale, CMYK, transparency, huge photos:
   :func:`inpaintkit.data.read_rgb`);
2. find the face with scikit-image's LBP frontal-face cascade (the largest one when there are
   several, with a note);
3. map the detection box to the square CelebA's framing would take (:func:`crop_for_box`), with
   constants calibrated on CelebA's own train crops (``tools/calibrate_framing.py``);
4. cut that square (padding with the edge where it leaves the photo) and resize it to 64×64 in [−1, 1].
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .data import (FACE_BOX, IMAGE_SIZE, ORIGINAL_SIZE, DataError, read_rgb, resample_square, to_uint8,
                   to_unit_range)
from .inpainting import LEARNING_RATE
from .latent import sample_z
from .masks import apply_mask, broadcast_masks, missing_fraction
from .pipeline import fig8
from .plotting import show_grid

__all__ = ["AUGMENT_SCALES", "CROP_DX", "CROP_DY", "CROP_SCALE", "DETECT_SIDE", "FRAMING_ERROR",
           "MIN_FACE", "READ_SIDE", "Box", "celeba_crop_box", "crop_for_box", "cut_square", "default_mu",
           "detect_faces", "FaceError", "frame_photo", "frame_photos", "FramedFace", "inpaint_own_faces",
           "panel_figure"]

# Box → crop mapping, in units of the detection box's side. Measured by
# tools/calibrate_framing.py on the first 1000 CelebA train crops (each resized to 178×218 and
# searched by detect_faces; 945 faces found): the medians of crop side / box side and of the
# crop centre's offset from the box centre. Re-run the script to reproduce them.
CROP_SCALE = 1.0474
CROP_DX = 0.0013
CROP_DY = -0.1501

# Framing error on CelebA validation faces 100-779 (all of the local subset's validation faces
# but 0-99, the evaluation's), measured by the same script: the crop box against the true
# central 108×108, in pixels at 64×64 (centre offset, |side difference|) and IoU. Faces the
# detector misses are counted, not in the error.
FRAMING_ERROR = {
    "validation_faces": "100-779", "detected": 669, "missed": 11,
    "centre_px_median": 1.51, "centre_px_p95": 5.34, "centre_px_max": 54.65,
    "side_px_median": 3.38, "side_px_p95": 13.21,
    "iou_median": 0.883, "iou_p05": 0.619, "iou_min": 0.001,
}

DETECT_SIDE = 480      # photos are searched for faces at most this large (time grows with area)
READ_SIDE = 2048       # photos larger than this are downscaled while decoding (memory)
MIN_FACE = 24          # the smallest face searched for, in pixels of the search image (cascade window)


class FaceError(DataError):
    """No face could be framed in a photo."""


@dataclass(frozen=True)
class Box:
    """A square in photo pixel coordinates: left and top edges and side (floats)."""

    left: float
    top: float
    side: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.left + self.side / 2, self.top + self.side / 2

    def scaled(self, factor: float) -> "Box":
        return Box(self.left * factor, self.top * factor, self.side * factor)

    def iou(self, other: "Box") -> float:
        """Intersection over union of two squares."""
        width = min(self.left + self.side, other.left + other.side) - max(self.left, other.left)
        height = min(self.top + self.side, other.top + other.side) - max(self.top, other.top)
        inter = max(width, 0.0) * max(height, 0.0)
        return inter / (self.side ** 2 + other.side ** 2 - inter)


def celeba_crop_box(width: float, height: float) -> Box:
    """The square CelebA's framing takes from an aligned crop of this size (central 108/178 of it)."""
    side = FACE_BOX * min(width / ORIGINAL_SIZE[0], height / ORIGINAL_SIZE[1])
    return Box((width - side) / 2, (height - side) / 2, side)


def _cascade():
    from skimage import data as skdata
    from skimage.feature import Cascade

    global _CASCADE
    if _CASCADE is None:
        _CASCADE = Cascade(skdata.lbp_frontal_face_cascade_filename())
    return _CASCADE


_CASCADE = None


def _detect_once(grey: np.ndarray, min_face: int) -> list[Box]:
    """One pass of the cascade: one box per face (the largest of its duplicates), largest first."""
    found = _cascade().detect_multi_scale(grey, scale_factor=1.2, step_ratio=1, min_size=(min_face, min_face),
                                          max_size=(min(grey.shape),) * 2, min_neighbor_number=3)
    boxes = sorted((Box(float(d["c"]), float(d["r"]), float(d["width"])) for d in found), key=lambda b: -b.side)
    # The cascade reports one face several times at neighbouring scales: a box whose centre lies
    # inside a larger kept box is the same face.
    faces: list[Box] = []
    for box in boxes:
        cx, cy = box.centre
        if not any(k.left <= cx <= k.left + k.side and k.top <= cy <= k.top + k.side for k in faces):
            faces.append(box)
    return faces


# The cascade's box jumps by a scale step (20 %) under tiny changes of the pixels (a JPEG
# re-encode), so each face is searched in the photo and its mirror image at two sizes and the
# box is the median of the four passes (as in the calibration).
AUGMENT_SCALES = (1.0, 0.9)


def detect_faces(photo: np.ndarray, *, max_side: int = DETECT_SIDE, min_face: int = MIN_FACE) -> list[Box]:
    """Faces found by the LBP frontal-face cascade, one box per face, largest first, in photo pixels.

    A photo larger than ``max_side`` is searched at that size (the boxes are scaled back). Each
    face's box is the median over passes on the photo and its mirror image at the sizes
    ``AUGMENT_SCALES`` (a face found in fewer than half of the passes is dropped).
    """
    from skimage.color import rgb2gray
    from skimage.transform import rescale

    grey = rgb2gray(np.asarray(photo)) if np.ndim(photo) == 3 else np.asarray(photo, np.float64)
    base = min(1.0, max_side / max(grey.shape))
    passes = []
    for scale in AUGMENT_SCALES:
        factor = base * scale
        small = rescale(grey, factor, anti_aliasing=True) if factor < 1.0 else grey
        width = small.shape[1]
        for mirrored in (False, True):
            found = _detect_once(small[:, ::-1] if mirrored else small, min_face)
            if mirrored:
                found = [Box(width - b.left - b.side, b.top, b.side) for b in found]
            passes.append([b.scaled(1 / factor) for b in found])
    if not passes[0]:
        anchors = [b for found in passes for b in found]
    else:
        anchors = list(passes[0])
    anchors.sort(key=lambda b: -b.side)
    faces: list[Box] = []
    for anchor in anchors:
        if any(k.left <= anchor.centre[0] <= k.left + k.side and k.top <= anchor.centre[1] <= k.top + k.side
               for k in faces):
            continue
        # The same face in every pass: the box whose centre is nearest and within the anchor.
        matches = []
        for found in passes:
            inside = [b for b in found if anchor.left <= b.centre[0] <= anchor.left + anchor.side
                      and anchor.top <= b.centre[1] <= anchor.top + anchor.side]
            if inside:
                matches.append(max(inside, key=lambda b: b.side))
        if 2 * len(matches) < len(passes):
            continue
        left, top, side = np.median([(b.left, b.top, b.side) for b in matches], axis=0)
        faces.append(Box(float(left), float(top), float(side)))
    return sorted(faces, key=lambda b: -b.side)


def crop_for_box(box: Box) -> Box:
    """The square CelebA's framing would take around a detected face (calibrated mapping)."""
    cx, cy = box.centre
    side = CROP_SCALE * box.side
    cx, cy = cx + CROP_DX * box.side, cy + CROP_DY * box.side
    return Box(cx - side / 2, cy - side / 2, side)


def cut_square(photo: np.ndarray, crop: Box, size: int = IMAGE_SIZE) -> np.ndarray:
    """The square ``crop`` of a photo resized to size × size, float in [0, 1]; edge-padded outside.

    Same sampling as :func:`inpaintkit.data.frame_face` (anti-aliased, sub-pixel box).
    """
    return resample_square(photo, crop.left, crop.top, crop.side, size)


@dataclass
class FramedFace:
    """A photo's face framed like CelebA: ``face`` is (64, 64, 3) float32 in [−1, 1]."""

    face: np.ndarray
    photo: np.ndarray          # the photo as read (upright RGB uint8, maybe downscaled)
    box: Box                   # the detection, in ``photo`` pixels
    crop: Box                  # the square cut for the face, in ``photo`` pixels
    source: str
    faces_found: int = 1
    notes: list[str] = field(default_factory=list)


def frame_photo(source, *, name: str | None = None, size: int = IMAGE_SIZE) -> FramedFace:
    """Find the face in a photo (a path, a file's bytes, or an H×W×3 array: uint8, or float in
    [−1, 1] as the kit's images) and frame it like CelebA.

    Raises :class:`FaceError` naming the file when no face is found. With several faces the
    largest is taken and a note says so.
    """
    if isinstance(source, np.ndarray):
        label = name or "image array"
        photo = source if source.dtype == np.uint8 else to_uint8(source)
        if photo.ndim == 2:
            photo = np.repeat(photo[..., None], 3, axis=-1)
        if photo.ndim != 3 or photo.shape[-1] != 3:
            raise DataError(f"{label} has shape {photo.shape}, not H×W×3")
        notes = []
    else:
        label = name or ("uploaded image" if isinstance(source, (bytes, bytearray, memoryview)) else str(source))
        photo, note = read_rgb(source, max_side=READ_SIDE, name=label)
        notes = note.split("; ") if note else []
    boxes = detect_faces(photo)
    if not boxes:
        raise FaceError(f"no face found in {label}: the detector needs a frontal face, upright, at least "
                        f"{MIN_FACE / DETECT_SIDE:.0%} of the photo's longer side")
    if len(boxes) > 1:
        notes.append(f"{len(boxes)} faces found; the largest is used")
    crop = crop_for_box(boxes[0])
    face = to_unit_range(to_uint8(cut_square(photo, crop, size) * 2 - 1))
    return FramedFace(face=face, photo=photo, box=boxes[0], crop=crop, source=label,
                      faces_found=len(boxes), notes=notes)


def frame_photos(sources) -> list[FramedFace]:
    """:func:`frame_photo` for each of several photos, in order."""
    return [frame_photo(source) for source in sources]


# ----------------------------------------------------------------------------- inpainting your own face
def default_mu(known) -> float:
    """The paper's µ (§3.3) for a hole of this size: 0.66 as for its 25 % squares up to 3/8 of
    the face missing, else 0.33 as for its 50 % holes (a drawn hole has no pattern number)."""
    return 0.66 if float(np.mean(missing_fraction(known))) <= 0.375 else 0.33


def inpaint_own_faces(faces, known, G, D, *, steps: int, refine_steps: int | None = None,
                      learning_rate: float = LEARNING_RATE, mu: float | None = None, seed: int = 0,
                      progress: bool = True, precision: str | None = None):
    """Fig. 8 (inpaint → blend → refine → blend) on framed faces, each with its mask.

    ``steps`` (and ``refine_steps``, default the same) and ``learning_rate`` come from the caller's
    budget. Every face starts from the z a batch of one would draw from ``seed``, so a photo gets
    the same result alone (the notebook's widget) or in any place of a batch (the command line).
    Metrics compare with the unmasked framed faces. Returns the :class:`PipelineResult`.
    """
    faces = np.asarray(faces, np.float32)
    faces = faces[None] if faces.ndim == 3 else faces
    known = broadcast_masks(known, len(faces))
    mu = default_mu(known) if mu is None else float(mu)
    start = np.repeat(sample_z(1, seed=seed), len(faces), axis=0)
    fresh = np.repeat(sample_z(1, seed=seed + 1), len(faces), axis=0)
    return fig8(faces, known, G, D, mu=mu, inpaint_steps=steps, refine_steps=steps if refine_steps is None else refine_steps,
                learning_rate=learning_rate, seed=seed, original=faces, progress=progress, z0=start, z_fresh=fresh,
                precision=precision)


def panel_figure(result, index: int = 0, title: str | None = None):
    """One photo's panel: masked | inpainted [Yeh] | refined | original, as the paper's Fig. 9."""
    images = [apply_mask(result.y[index], result.known[index]), result.x_b[index], result.x[index],
              result.original[index]]
    return show_grid(images, titles=["masked", "inpainted [Yeh]", "refined", "original"], ncols=4, size=1.8,
                     suptitle=title)

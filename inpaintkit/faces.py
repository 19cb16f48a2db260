"""Your own photo, framed like the training faces (§3.1's CelebA framing, for any photo).

CelebA's aligned crops put the face at a fixed place; the kit's 64×64 faces are the central
108×108 of those 178×218 crops (:mod:`inpaintkit.data`). A photo of your own is not aligned, so:

1. read it as upright RGB (EXIF orientation, grayscale, CMYK, transparency, huge photos:
   :func:`inpaintkit.data.read_rgb`);
2. find the face with scikit-image's LBP frontal-face cascade (the largest one when there are
   several, with a note), turning the photo upright when its face is on its side or upside down
   (:func:`find_upright_faces`; a turn it cannot be sure of is refused);
3. map the detection box to the square CelebA's framing would take (:func:`crop_for_box`), with
   constants calibrated on CelebA's own train crops (``tools/calibrate_framing.py``), and flag
   a detection the cascade is unsure of (a close-up of eyes, hair: :func:`framing_doubts`);
4. cut that square (padding with the edge where it leaves the photo) and resize it to 64×64 in [−1, 1].

A mask drawn on the photo is cut with the same square (:func:`mask_for_face`). How often the
framing is right, turned right, flagged or refused is measured in ``results/framing_review.json``
(``experiments/framing_review.py``).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from .data import (FACE_BOX, IMAGE_SIZE, ORIGINAL_SIZE, DataError, read_rgb, resample_square, to_uint8,
                   to_unit_range)
from .errors import check_count, check_range
from .inpainting import LEARNING_RATE
from .latent import sample_z
from .masks import SIZE, MaskError, apply_mask, broadcast_masks, face_mask, missing_fraction, read_mask
from .pipeline import fig8
from .plotting import show_grid

__all__ = ["AUGMENT_SCALES", "CROP_DX", "CROP_DY", "CROP_SCALE", "DETECT_SIDE", "FRAMING_ERROR",
           "MIN_FACE", "OUTSIDE_LIMIT", "OUTSIDE_NOTE", "READ_SIDE", "SPREAD_LIMIT", "SURE_WINDOWS",
           "TURN_MARGIN", "TURN_NAMES", "TURN_NOTES", "WEAK_PASS", "Box", "Detection", "celeba_crop_box",
           "crop_for_box", "cut_mask", "cut_square", "default_mu", "detect_faces", "FaceError", "find_faces",
           "find_upright_faces", "frame_photo", "frame_photos", "FramedFace", "framing_doubts",
           "inpaint_own_faces", "mask_for_face", "masks_for_faces", "outside_share", "panel_figure", "turn"]

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


def _scan(grey: np.ndarray, min_face: int) -> list[tuple[int, int, int]]:
    """Every window the cascade accepts, as (side, row, col), in the order of a one-thread scan.

    skimage's ``detect_multi_scale`` scans the scales in parallel threads, so the order of its
    windows (and the greedy grouping that follows) could change from run to run: the windows are
    taken ungrouped (an intersection threshold above 1 never merges) and sorted.
    """
    found = _cascade().detect_multi_scale(grey, scale_factor=1.2, step_ratio=1, min_size=(min_face, min_face),
                                          max_size=(min(grey.shape),) * 2, min_neighbor_number=1,
                                          intersection_score_threshold=2.0)
    return sorted((int(d["width"]), int(d["r"]), int(d["c"])) for d in found)


def _group(windows: list[tuple[int, int, int]], threshold: float = 0.5,
           min_neighbours: int = 3) -> list[tuple[Box, int]]:
    """skimage's grouping of cascade windows (``_group_detections``), also returning each group's
    number of windows: a window joins the group whose mean box it overlaps most (intersection
    over the smaller area above ``threshold``); groups of fewer than ``min_neighbours`` windows
    are dropped; each group is its mean box (integer means, as skimage's)."""
    groups: list[list[int]] = []  # [side sum, row sum, col sum, count]
    for side, row, col in windows:
        best, best_score = None, threshold
        for index, (s_sum, r_sum, c_sum, count) in enumerate(groups):
            m_side, m_row, m_col = s_sum // count, r_sum // count, c_sum // count
            overlap = (max(0, min(col + side, m_col + m_side) - max(col, m_col))
                       * max(0, min(row + side, m_row + m_side) - max(row, m_row)))
            score = overlap / min(side * side, m_side * m_side)
            if score > best_score:
                best, best_score = index, score
        if best is None:
            groups.append([side, row, col, 1])
        else:
            groups[best] = [groups[best][0] + side, groups[best][1] + row, groups[best][2] + col, groups[best][3] + 1]
    return [(Box(float(c_sum // count), float(r_sum // count), float(s_sum // count)), count)
            for s_sum, r_sum, c_sum, count in groups if count >= min_neighbours]


def _contains_centre(outer: Box, inner: Box) -> bool:
    cx, cy = inner.centre
    return outer.left <= cx <= outer.left + outer.side and outer.top <= cy <= outer.top + outer.side


def _detect_once(grey: np.ndarray, min_face: int) -> list[tuple[Box, int]]:
    """One pass of the cascade: one box per face (the largest of its duplicates) with the number
    of cascade windows that voted for it, largest first."""
    groups = sorted(_group(_scan(grey, min_face)), key=lambda group: -group[0].side)
    # The cascade reports one face several times at neighbouring scales: a box whose centre lies
    # inside a larger kept box is the same face (its windows are counted for that face).
    faces: list[list] = []
    for box, votes in groups:
        same = next((kept for kept in faces if _contains_centre(kept[0], box)), None)
        if same is None:
            faces.append([box, votes])
        else:
            same[1] += votes
    return [(box, votes) for box, votes in faces]


@dataclass(frozen=True)
class Detection:
    """A face found by :func:`find_faces`: its box and how strongly the cascade agrees on it.

    ``windows`` is the number of cascade windows that accepted it, summed over the passes;
    ``passes`` the number of passes (photo and mirror image at each of ``AUGMENT_SCALES``) that
    found it. A real upright face gathers many windows in every pass; a chance pattern (an
    upside-down face, a patch of hair) gathers few in some passes.
    """

    box: Box
    windows: int
    passes: int
    weakest: int = 0       # fewest windows in one pass (0: a pass missed it)
    spread: float = 0.0    # largest distance of a pass's box from the median box, in box sides


# The cascade's box jumps by a scale step (20 %) under tiny changes of the pixels (a JPEG
# re-encode), so each face is searched in the photo and its mirror image at two sizes and the
# box is the median of the four passes (as in the calibration).
AUGMENT_SCALES = (1.0, 0.9)


def find_faces(photo: np.ndarray, *, max_side: int = DETECT_SIDE, min_face: int = MIN_FACE) -> list[Detection]:
    """Faces found by the LBP frontal-face cascade, one :class:`Detection` per face, largest first,
    in photo pixels.

    A photo larger than ``max_side`` is searched at that size (the boxes are scaled back). Each
    face's box is the median over passes on the photo and its mirror image at the sizes
    ``AUGMENT_SCALES`` (a face found in fewer than half of the passes is dropped).
    """
    from skimage.color import rgb2gray
    from skimage.transform import rescale

    grey = rgb2gray(np.asarray(photo)) if np.ndim(photo) == 3 else np.asarray(photo, np.float64)
    base = min(1.0, max_side / max(grey.shape))
    passes: list[list[tuple[Box, int]]] = []
    for scale in AUGMENT_SCALES:
        factor = base * scale
        small = rescale(grey, factor, anti_aliasing=True) if factor < 1.0 else grey
        width = small.shape[1]
        for mirrored in (False, True):
            found = _detect_once(small[:, ::-1] if mirrored else small, min_face)
            if mirrored:
                found = [(Box(width - b.left - b.side, b.top, b.side), votes) for b, votes in found]
            passes.append([(b.scaled(1 / factor), votes) for b, votes in found])
    anchors = [b for b, _ in passes[0]] if passes[0] else [b for found in passes for b, _ in found]
    anchors.sort(key=lambda b: -b.side)
    faces: list[Detection] = []
    for anchor in anchors:
        if any(_contains_centre(kept.box, anchor) for kept in faces):
            continue
        # The same face in every pass: the largest box whose centre lies within the anchor.
        matches = []
        for found in passes:
            inside = [(b, votes) for b, votes in found if _contains_centre(anchor, b)]
            if inside:
                matches.append(max(inside, key=lambda item: item[0].side))
        if 2 * len(matches) < len(passes):
            continue
        left, top, side = np.median([(b.left, b.top, b.side) for b, _ in matches], axis=0)
        box = Box(float(left), float(top), float(side))
        spread = max(max(abs(b.centre[0] - box.centre[0]), abs(b.centre[1] - box.centre[1]), abs(b.side - box.side))
                     for b, _ in matches) / box.side
        weakest = min(votes for _, votes in matches) if len(matches) == len(passes) else 0
        faces.append(Detection(box, windows=sum(v for _, v in matches), passes=len(matches), weakest=weakest,
                               spread=float(spread)))
    return sorted(faces, key=lambda d: -d.box.side)


def detect_faces(photo: np.ndarray, *, max_side: int = DETECT_SIDE, min_face: int = MIN_FACE) -> list[Box]:
    """The boxes of :func:`find_faces`, largest first."""
    return [found.box for found in find_faces(photo, max_side=max_side, min_face=min_face)]


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


# Which way up (issue 37). A photo turned without EXIF shows the cascade a face on its side or
# upside down; upside down, the cascade still "finds" a face in half of the portraits, on a few
# windows. Measured on 50 of the 300 public-domain portraits and 25 CelebA validation faces in all
# four turns (results/framing_review.json, "windows"): a face the right way up gathers a median of
# 98 windows (portraits) and 106 (CelebA); a face "found" in a wrong turn at most 58 and 34, and
# none of the 225 wrong turns reaches SURE_WINDOWS.
SURE_WINDOWS = 70      # this many windows upright: upright, no other turn is searched
TURN_MARGIN = 1.5      # otherwise the turn chosen must gather 1.5× the windows of every other turn
# Framing doubts, measured against a hand review of the 300 portraits' crops: a pass that finds the
# face on the grouping's minimum of windows (or misses it), or passes that disagree on the box,
# mark the close-ups (eyes only, hair, a tight crop) that the cascade finds instead of the face.
WEAK_PASS = 3          # a pass with at most this many windows (3 is the grouping's minimum) is weak
SPREAD_LIMIT = 0.3     # passes' boxes further apart than this (in box sides): unsure
OUTSIDE_NOTE = 0.10    # share of the crop outside the photo (edge-padded) worth a note
OUTSIDE_LIMIT = 0.40   # ... and refused: most of the face would be invented by the padding

TURN_NOTES = {1: "turned 90° clockwise: the face was found on its side",
              2: "turned 180°: the face was found upside down",
              3: "turned 90° anticlockwise: the face was found on its side"}
TURN_NAMES = {0: "as it is", 1: "turned 90° clockwise", 2: "turned 180°", 3: "turned 90° anticlockwise"}


def turn(image: np.ndarray, turns: int) -> np.ndarray:
    """``image`` turned clockwise by ``turns`` quarter turns (H×W or H×W×C)."""
    return np.ascontiguousarray(np.rot90(image, -turns))


def _strength(found: list[Detection]) -> int:
    return max((d.windows for d in found), default=0)


def find_upright_faces(photo: np.ndarray, *, label: str = "the photo") -> tuple[int, list[Detection], int]:
    """The quarter turns (clockwise, 0-3) that stand the photo's face upright, the faces found in
    the photo so turned (:func:`find_faces`), and how many turns were searched (1 or 4).

    The photo is searched as it is first; only when the cascade is not sure of a face there
    (fewer than ``SURE_WINDOWS`` windows) are the three other turns searched too (each costs one
    more search), and the turn whose face gathers the most windows wins. Raises
    :class:`FaceError` when no turn holds a face, when two turns are about as strong (within
    ``TURN_MARGIN``), or when the face wins only turned and the detector is unsure of it
    (:func:`framing_doubts`): a wrong turn would frame a wrong crop.
    """
    searched = {0: find_faces(photo)}
    if _strength(searched[0]) < SURE_WINDOWS:
        for turns in (1, 2, 3):
            searched[turns] = find_faces(turn(photo, turns))
    ranked = sorted(searched, key=lambda t: -_strength(searched[t]))
    best = ranked[0]
    if _strength(searched[best]) == 0:
        raise FaceError(f"no face found in {label} (searched upright and turned 90°, 180° and 270°): the detector "
                        f"needs a frontal face at least {MIN_FACE / DETECT_SIDE:.0%} of the photo's longer side")
    if len(ranked) > 1 and _strength(searched[best]) < TURN_MARGIN * _strength(searched[ranked[1]]):
        raise FaceError(f"cannot tell which way up the face in {label} is: the detector finds a face in the photo "
                        f"{TURN_NAMES[best]} ({_strength(searched[best])} windows) about as surely as "
                        f"{TURN_NAMES[ranked[1]]} ({_strength(searched[ranked[1]])}); turn the photo upright "
                        f"(or leave more of the photo around the face) and try again")
    doubts = framing_doubts(searched[best][0])
    if best and doubts:  # a photo is turned only for a face the detector is sure of
        raise FaceError(f"no upright face found in {label}: the detector finds a face only in the photo "
                        f"{TURN_NAMES[best]}, and is unsure of it ({'; '.join(doubts)}); turn the photo upright "
                        f"and try again")
    return best, searched[best], len(searched)


def outside_share(crop: Box, width: int, height: int) -> float:
    """The share of a crop's area that lies outside a width × height photo (filled by edge padding)."""
    inside_w = max(0.0, min(crop.left + crop.side, width) - max(crop.left, 0.0))
    inside_h = max(0.0, min(crop.top + crop.side, height) - max(crop.top, 0.0))
    return 1.0 - inside_w * inside_h / crop.side ** 2


def framing_doubts(found: Detection) -> list[str]:
    """Why a detection may not be a face framed like CelebA (empty when the cascade is sure)."""
    doubts = []
    if found.weakest <= WEAK_PASS:
        doubts.append("one of its passes " + ("missed it" if found.weakest == 0 else
                                              f"found it on only {found.weakest} windows"))
    if found.spread > SPREAD_LIMIT:
        doubts.append(f"its passes disagree on the box by {found.spread:.0%} of its side")
    return doubts


@dataclass
class FramedFace:
    """A photo's face framed like CelebA: ``face`` is (64, 64, 3) float32 in [−1, 1].

    ``photo`` is the photo the face was found in: as read (EXIF orientation applied, maybe
    downscaled), then turned clockwise by ``turns`` quarter turns to stand the face upright;
    ``box`` and ``crop`` are in its pixels. ``photo_size`` is (width, height) of the photo as read
    at full size before that turn: the size of a mask drawn on it (:func:`mask_for_face`).
    ``unsure`` marks a framing that the detector is not sure of (a note says why);
    ``turns_searched`` is 1 when the face was sure upright, 4 when every turn had to be searched.
    """

    face: np.ndarray
    photo: np.ndarray
    box: Box
    crop: Box
    source: str
    faces_found: int = 1
    notes: list[str] = field(default_factory=list)
    turns: int = 0
    photo_size: tuple[int, int] | None = None
    unsure: bool = False
    detection: Detection | None = None
    turns_searched: int = 1


def _upright_size(source) -> tuple[int, int] | None:
    """(width, height) of an image file as shown (EXIF orientation applied), at full size."""
    try:
        with Image.open(io.BytesIO(bytes(source)) if isinstance(source, (bytes, bytearray, memoryview))
                        else source) as opened:
            width, height = opened.size
            quarter = opened.getexif().get(0x0112, 1) in (5, 6, 7, 8)  # the EXIF turns that swap the sides
    except Exception:
        return None
    return (height, width) if quarter else (width, height)


def frame_photo(source, *, name: str | None = None, size: int = IMAGE_SIZE) -> FramedFace:
    """Find the face in a photo (a path, a file's bytes, or an H×W×3 array: uint8, or float in
    [−1, 1] as the kit's images) and frame it like CelebA.

    A face that is not upright is turned upright (:func:`find_upright_faces`) with a note saying
    so. Raises :class:`FaceError` naming the file when no face is found, when it cannot tell
    which way up the face is, or when most of the crop would lie outside the photo. With
    several faces the largest is taken, and a framing the detector is unsure of (a close-up of
    part of a face, hair) is marked ``unsure``; both with a note.
    """
    if isinstance(source, np.ndarray):
        label = name or "image array"
        if source.size == 0:
            raise DataError(f"{label} is empty (shape {source.shape})")
        if source.dtype != np.uint8:
            check_range(source, label)  # float [−1, 1]; a [0, 1] or 0–255 float photo is named, not washed out
        photo = source if source.dtype == np.uint8 else to_uint8(source)
        if photo.ndim == 2:
            photo = np.repeat(photo[..., None], 3, axis=-1)
        if photo.ndim != 3 or photo.shape[-1] != 3:
            raise DataError(f"{label} has shape {photo.shape}, not H×W×3")
        notes = []
        photo_size = (photo.shape[1], photo.shape[0])
    else:
        label = name or ("uploaded image" if isinstance(source, (bytes, bytearray, memoryview)) else str(source))
        photo, note = read_rgb(source, max_side=READ_SIDE, name=label)
        notes = note.split("; ") if note else []
        photo_size = _upright_size(source) or (photo.shape[1], photo.shape[0])
    turns, found, searched = find_upright_faces(photo, label=label)
    if turns:
        photo = turn(photo, turns)
        notes.append(TURN_NOTES[turns])
    if len(found) > 1:
        notes.append(f"{len(found)} faces found; the largest is used")
    face_found = found[0]
    crop = crop_for_box(face_found.box)
    outside = outside_share(crop, photo.shape[1], photo.shape[0])
    if outside > OUTSIDE_LIMIT:
        raise FaceError(f"the face found in {label} lies at the photo's edge: {outside:.0%} of the square it "
                        f"would be cut from is outside the photo (a corner, not a framed face); use a photo "
                        f"with room around the face")
    if outside > OUTSIDE_NOTE:
        notes.append(f"{outside:.0%} of the crop lies outside the photo and repeats its edge pixels")
    doubts = framing_doubts(face_found)
    if doubts:
        notes.append("check the framed face: the detector is unsure of it (" + "; ".join(doubts) + "), so it may "
                     "be part of a face (a close-up of the eyes, the chin, hair) rather than a face framed like CelebA")
    face = to_unit_range(to_uint8(cut_square(photo, crop, size) * 2 - 1))
    return FramedFace(face=face, photo=photo, box=face_found.box, crop=crop, source=label, faces_found=len(found),
                      notes=notes, turns=turns, photo_size=photo_size, unsure=bool(doubts), detection=face_found,
                      turns_searched=searched)


def frame_photos(sources) -> list[FramedFace]:
    """:func:`frame_photo` for each of several photos, in order."""
    return [frame_photo(source) for source in sources]


# ----------------------------------------------------------------------------- a mask drawn on the photo
def cut_mask(known: np.ndarray, framed: FramedFace, size: int = IMAGE_SIZE) -> np.ndarray:
    """A mask drawn on the photo (``known``, H×W bool at ``framed.photo_size``) cut like the face:
    turned as the photo was, the same crop box, sampled at the same pixel centres as
    :func:`cut_square` but by nearest neighbour (a mask has no in-between values), edge-padded
    outside the photo as the photo is. Returns size × size bool."""
    known = turn(np.asarray(known, dtype=bool), framed.turns)
    height, width = framed.photo.shape[:2]
    fx, fy = known.shape[1] / width, known.shape[0] / height  # mask pixels per framed-photo pixel
    crop = framed.crop
    centres = crop.side / size * (np.arange(size) + 0.5)  # output pixel centres, in photo pixel edges
    cols = np.clip(np.floor((crop.left + centres) * fx).astype(int), 0, known.shape[1] - 1)
    rows = np.clip(np.floor((crop.top + centres) * fy).astype(int), 0, known.shape[0] - 1)
    return known[np.ix_(rows, cols)]


def mask_for_face(mask, framed: FramedFace, *, name: str | None = None) -> tuple[np.ndarray, list[str]]:
    """The 64×64 ``known`` mask of a framed face from a mask image (a path, a file's bytes, or an
    H×W bool array, True = known) and notes saying how it was read.

    - 64×64: a mask of the face, as it is;
    - the photo's size (as the photo is shown, full size): drawn on the photo, so cut with the
      face's own crop (:func:`cut_mask`): a bar over both eyes on the photo stays a bar over
      both eyes on the face;
    - a square of a multiple of 64: the face drawn larger (nearest neighbour, with a note);
    - any other size is refused: a mask is never stretched onto the face.

    Raises :class:`inpaintkit.masks.MaskError` naming the problem, also when the cut mask has no
    hole or no known pixel.
    """
    if isinstance(mask, np.ndarray):
        label = name or "mask array"
        drawn, notes = np.asarray(mask, dtype=bool), []
    else:
        label = name or ("uploaded mask" if isinstance(mask, (bytes, bytearray, memoryview)) else f"mask {mask}")
        drawn, notes = read_mask(mask, name=label)
    if drawn.ndim != 2:
        raise MaskError(f"{label} has shape {drawn.shape}, not H×W")
    height, width = drawn.shape
    photo_w, photo_h = framed.photo_size or (framed.photo.shape[1], framed.photo.shape[0])
    on_photo = (width, height) == (photo_w, photo_h) and (width, height) != (SIZE, SIZE)
    if (width, height) == (SIZE, SIZE):
        known = drawn
        if (photo_w, photo_h) == (SIZE, SIZE):
            notes.append(f"the photo is {SIZE}×{SIZE} too: the mask is read as drawn on the framed face")
    elif on_photo:
        known = cut_mask(drawn, framed)
        notes.append(f"{label} is the photo's size ({width}×{height}): cut with the face's crop"
                     + (", turned upright with the photo" if framed.turns else "") + " (nearest neighbour)")
    elif (width, height) == (photo_h, photo_w):
        raise MaskError(f"{label} is {width}×{height} but {framed.source} is shown {photo_w}×{photo_h}: the mask is "
                        f"turned a quarter against the photo; draw it on the photo as it is shown upright")
    else:
        try:
            known, more = face_mask(drawn, name=label)
        except MaskError:
            raise MaskError(f"{label} is {width}×{height}: neither the photo's size ({photo_w}×{photo_h}, where it "
                            f"would be cut with the face) nor the {SIZE}×{SIZE} face (or a square of a multiple of "
                            f"{SIZE}); it is not stretched: draw it on the photo or on the face") from None
        notes += more
    where = f"{label} for {framed.source}"
    if known.all():
        raise MaskError(f"{where} has no missing pixel: "
                        + ("its hole lies outside the face's crop" if on_photo and not drawn.all() else
                           "nothing to inpaint (black or transparent = hole)"))
    if not known.any():
        raise MaskError(f"{where} has no known pixel: "
                        + ("its hole covers the whole face's crop" if on_photo and drawn.any() else
                           "nothing to condition on (white = known; transparent and dark pixels are holes)"))
    return known, notes


def masks_for_faces(mask, framed: list[FramedFace]) -> tuple[np.ndarray, list[str]]:
    """:func:`mask_for_face` for every framed photo: (N, 64, 64) ``known`` masks and the notes,
    each naming its photo. Every photo is checked before an error (naming them all) is raised."""
    label = "mask array" if isinstance(mask, np.ndarray) else f"mask {mask}"
    drawn, read_notes = (np.asarray(mask, bool), []) if isinstance(mask, np.ndarray) else read_mask(mask, name=label)
    cut, notes, problems = [], [f"{label}: {note}" for note in read_notes], []
    for item in framed:
        try:
            known, item_notes = mask_for_face(drawn, item, name=label)
        except MaskError as error:
            problems.append(str(error))
            continue
        cut.append(known)
        notes += [f"{item.source}: {note}" for note in item_notes]
    if problems:
        raise MaskError("; ".join(problems))
    return np.stack(cut), notes


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
    check_count("seed", seed, minimum=0)
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

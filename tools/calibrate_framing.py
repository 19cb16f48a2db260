"""Calibrate the face-box → CelebA-crop mapping of inpaintkit/faces.py and measure its error.

Calibration: the first --train CelebA train crops, each resized to 178×218 (CelebA's aligned
size), searched with the LBP cascade (largest box kept); the crop CelebA's framing takes is the
central 108×108. The constants are the medians of crop side / box side and of the crop centre's
offset from the box centre, in box sides.

Error: CelebA validation faces 100 .. 100+--val (faces 0-99 are the evaluation's, never used
for tuning), framed with those constants, against the true central 108×108 box: centre offset
and side difference in pixels at 64×64, and IoU. Needs INPAINTKIT_DATA.

    python tools/calibrate_framing.py [--train 1000] [--val 1000]
"""
from __future__ import annotations

import argparse
import json

import numpy as np
from skimage.transform import resize

from inpaintkit import faces
from inpaintkit.data import ORIGINAL_SIZE, celeba_root, list_images, read_rgb


def detections(files):
    """(file, largest box) at 178×218, and how many files had no face."""
    found, missed = [], 0
    for path in files:
        image, _ = read_rgb(path)
        if image.shape[:2] != (ORIGINAL_SIZE[1], ORIGINAL_SIZE[0]):
            image = (resize(image, (ORIGINAL_SIZE[1], ORIGINAL_SIZE[0]), anti_aliasing=True) * 255).astype(np.uint8)
        boxes = faces.detect_faces(image)
        if boxes:
            found.append(boxes[0])
        else:
            missed += 1
    return found, missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=1000)
    parser.add_argument("--val", type=int, default=1000)
    args = parser.parse_args()
    root = celeba_root(required=True)
    truth = faces.celeba_crop_box(*ORIGINAL_SIZE)

    boxes, missed = detections(list_images(root, "train", args.train))
    scale = np.median([truth.side / b.side for b in boxes])
    dx = np.median([(truth.centre[0] - b.centre[0]) / b.side for b in boxes])
    dy = np.median([(truth.centre[1] - b.centre[1]) / b.side for b in boxes])
    print(f"train: {len(boxes)} of {args.train} detected ({missed} missed)")
    print(f"CROP_SCALE = {scale:.4f}\nCROP_DX = {dx:.4f}\nCROP_DY = {dy:.4f}")

    faces.CROP_SCALE, faces.CROP_DX, faces.CROP_DY = float(scale), float(dx), float(dy)
    val_files = list_images(root, "validation", 100 + args.val)[100:]
    boxes, missed = detections(val_files)
    to64 = 64 / truth.side
    crops = [faces.crop_for_box(b) for b in boxes]
    centre = np.array([np.hypot(c.centre[0] - truth.centre[0], c.centre[1] - truth.centre[1]) for c in crops]) * to64
    side = np.array([abs(c.side - truth.side) for c in crops]) * to64
    iou = np.array([c.iou(truth) for c in crops])
    report = {
        "validation_faces": f"100-{99 + len(val_files)}", "detected": len(boxes), "missed": missed,
        "centre_px_median": round(float(np.median(centre)), 2), "centre_px_p95": round(float(np.percentile(centre, 95)), 2),
        "centre_px_max": round(float(centre.max()), 2),
        "side_px_median": round(float(np.median(side)), 2), "side_px_p95": round(float(np.percentile(side, 95)), 2),
        "iou_median": round(float(np.median(iou)), 3), "iou_p05": round(float(np.percentile(iou, 5)), 3),
        "iou_min": round(float(iou.min()), 3),
    }
    print("FRAMING_ERROR =", json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""Frame the 300 public-domain portraits and ship a few dozen as the kit's built-in faces.

    python tools/make_builtin_faces.py [--source ../shared/data/portraits/images]
        [--count 36] [--sheet /tmp/portraits_contact_sheet.png] [--write]

Frames every portrait with inpaintkit.faces (the CelebA-calibrated mapping), prints how many
had a face found (and how many had several), and draws a contact sheet of all framed faces with
their ids for the hand review. ``REJECTED`` lists the ids whose framing looked wrong in that
review; they are never shipped. With ``--write`` it copies ``--count`` accepted portraits,
evenly spaced in id order, into inpaintkit/portraits/ (re-encoded JPEG, original size) with a
manifest.json of their detection and crop boxes, so the package frames them without detecting.
"""
from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import numpy as np

from inpaintkit import faces
from inpaintkit.data import to_uint8

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "inpaintkit" / "portraits"
# Ids whose framed face looked wrong on the contact sheet (hand review of all 299 framed faces,
# with the photo and boxes enlarged for 30 doubtful ones): L000397 framed a patch of hair and
# cheek, C000059 (head turned and tilted) half a face, E000092, C000141 and V000126 too tight
# (a box on part of the face: eyes to mouth).
REJECTED: set[str] = {"L000397", "C000059", "E000092", "C000141", "V000126"}


def contact_sheet(framed: dict, path: Path, columns: int = 20) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = sorted(framed)
    rows = -(-len(names) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(columns * 0.9, rows * 1.0))
    for ax in axes.flat:
        ax.axis("off")
    for ax, name in zip(axes.flat, names):
        ax.imshow(to_uint8(framed[name].face))
        ax.set_title(name, fontsize=5, color="red" if name in REJECTED else "black")
    figure.tight_layout(pad=0.2)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # ../shared/data/portraits/images from the project's root (two levels up from a worktree)
    default = next((str(base / "shared" / "data" / "portraits" / "images") for base in (ROOT.parent, ROOT.parents[1])
                    if (base / "shared" / "data" / "portraits" / "images").is_dir()), None)
    parser.add_argument("--source", default=default, required=default is None)
    parser.add_argument("--count", type=int, default=36)
    parser.add_argument("--sheet", default="/tmp/portraits_contact_sheet.png")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    files = sorted(Path(args.source).glob("*.jpg"))
    framed, missed, several = {}, [], []
    for path in files:
        try:
            result = faces.frame_photo(path)
        except faces.FaceError:
            missed.append(path.stem)
            continue
        framed[path.stem] = result
        if result.faces_found > 1:
            several.append(path.stem)
    print(f"{len(framed)} of {len(files)} portraits framed; no face in {len(missed)}: {missed}")
    print(f"several detections (largest kept) in {len(several)}: {several}")
    accepted = [name for name in sorted(framed) if name not in REJECTED]
    print(f"{len(accepted)} accepted after the hand review ({len(REJECTED & set(framed))} rejected)")
    contact_sheet(framed, Path(args.sheet))
    print(f"contact sheet: {args.sheet}")
    if not args.write:
        return
    from PIL import Image

    picks = [accepted[round(i)] for i in np.linspace(0, len(accepted) - 1, args.count)]
    TARGET.mkdir(exist_ok=True)
    for old in TARGET.glob("*.jpg"):
        old.unlink()
    manifest = []
    for name in picks:
        result = framed[name]
        buffer = io.BytesIO()
        Image.fromarray(result.photo).save(buffer, "JPEG", quality=88, optimize=True)
        (TARGET / f"{name}.jpg").write_bytes(buffer.getvalue())
        manifest.append({"id": name, "file": f"{name}.jpg",
                         "box": [round(v, 3) for v in (result.box.left, result.box.top, result.box.side)],
                         "crop": [round(v, 3) for v in (result.crop.left, result.crop.top, result.crop.side)]})
    (TARGET / "manifest.json").write_text(json.dumps({
        "source": "Hainish/congress-images-225x275 (commit 20531e98, images/), a copy of "
                  "unitedstates/images congress/225x275",
        "licence": "public domain (US Government Publishing Office official portraits)",
        "crop_mapping": {"scale": faces.CROP_SCALE, "dx": faces.CROP_DX, "dy": faces.CROP_DY},
        "faces": manifest}, indent=1) + "\n")
    size = sum(p.stat().st_size for p in TARGET.iterdir())
    print(f"wrote {len(picks)} portraits to {TARGET} ({size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()

"""Measure how inpaintkit.faces frames photos (issue 37): upright, turned, and against a hand review.

    python experiments/framing_review.py [--source ../shared/data/portraits/images] [--turned 50]
        [--celeba 100] [--celeba-turned 25] [--out results/framing_review.json] [--sheets DIR]
    python experiments/framing_review.py --docs-only

1. Every portrait of --source is framed upright with ``faces.frame_photo``; the framings the
   kit marks ``unsure`` (a note) are compared with the hand review stored in --out
   (``hand_review``: which crops are not a face framed like CelebA): false flags, missed bad
   framings. The time to frame each photo is recorded, with and without the search of the
   other three turns.
2. --turned portraits, evenly spaced in id order, are turned by 90°, 180° and 270° with numpy
   and framed: how many come back upright (the turn undone), how many
   are refused, how many are framed in a wrong turn (must be 0).
3. With INPAINTKIT_DATA set: CelebA validation faces 100..100+--celeba (never the evaluation's
   0-99) at CelebA's 178×218, framed upright (framing IoU with the true central 108×108, flags
   against IoU < 0.5) and --celeba-turned of them in the three other turns. Only numbers are
   written, never a CelebA pixel.

--sheets DIR draws contact sheets of the framed portraits (PNG, not committed) for the review.
The numbers are rewritten in --out; ``hand_review`` is read from it and kept as it is. The rates
(:func:`rates_sentence`) are then written between the ``framing_rates`` markers of
docs/own_photos.md; --docs-only writes them from --out without measuring anything
(tests/test_faces.py checks that the block is the sentence of the committed record).

Each image is searched in each of its four turns once: ``faces.find_faces`` is memoised on the
pixels it is given, so framing a turned copy reuses the searches of the same pixels (the
decisions of ``frame_photo`` run in full every time; the seconds recorded are those of the
first, uncached framing of each upright portrait, in CPU seconds).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from inpaintkit import faces
from inpaintkit.data import celeba_root, list_images, read_rgb
from inpaintkit.reports import check_record_target, record_block
from inpaintkit.storage import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
DOCS = (ROOT / "docs" / "own_photos.md",)  # holds the rates between framing_rates markers


def rates_sentence(record: dict) -> str:
    """The review's rates in one sentence, every number read from ``record`` (the JSON of --out)."""
    upright, turned_ = record["measured"]["portraits_upright"], record["measured"]["portraits_turned"]
    bad = upright["hand_review_bad_or_off_framed"]
    good = upright["framed"] - bad
    false_flags, missed = len(upright["false_flags"]), len(upright["missed_bad_framings"])
    return (f"Of the {upright['portraits']} public-domain portraits, {upright['framed']} are framed and "
            f"{len(upright['refused'])} refused; against a hand review of those crops "
            f"(`results/framing_review.json`), the note \"check the framed face\" falls on {false_flags} of the "
            f"{good} well-framed faces (false flags: {100 * upright['false_flag_rate']:.1f} %) and misses {missed} "
            f"of the {bad} badly framed ones ({100 * upright['missed_rate']:.0f} %); turned 90°, 180° and 270° "
            f"({turned_['cases']} photos from "
            f"{turned_['cases'] // 3} portraits), {turned_['found_upright']} were framed upright, "
            f"{turned_['refused']} refused and {turned_['wrong_turn']} framed in a wrong turn.")


def write_docs(record: dict) -> None:
    for doc in DOCS:
        record_block(doc, "framing_rates", rates_sentence(record) + "\n")


def memoise_search() -> None:
    """Search the same pixels once (see the module's docstring)."""
    import hashlib

    search, cache = faces.find_faces, {}

    def find_faces(photo, **options):
        pixels = hashlib.sha1(np.ascontiguousarray(photo).tobytes()).hexdigest()
        key = (pixels, photo.shape, tuple(sorted(options.items())))
        if key not in cache:
            cache[key] = search(photo, **options)
        return cache[key]

    faces.find_faces = find_faces


def frame(photo, name):
    """(FramedFace or None, refusal message or None, CPU seconds of this process, all threads:
    the cost of the framing whatever else the machine runs)."""
    start = time.process_time()
    try:
        framed = faces.frame_photo(photo, name=name)
        return framed, None, time.process_time() - start
    except faces.FaceError as error:
        return None, str(error), time.process_time() - start


def upright_portraits(files, review):
    bad = set(review["bad"]) | set(review["off"])
    rows = {}
    for number, path in enumerate(files):
        if number % 25 == 0:
            print(f"portraits upright: {number} of {len(files)}", flush=True)
        photo, _ = read_rgb(path)
        framed, refusal, seconds = frame(photo, path.stem)
        rows[path.stem] = {"framed": framed is not None, "turns": framed.turns if framed else None,
                           "unsure": bool(framed and framed.unsure), "refused": refusal, "seconds": seconds,
                           "searched_turns": framed is None or framed.turns_searched > 1}
    framed = {k: r for k, r in rows.items() if r["framed"]}
    reviewed_bad = [k for k in framed if k in bad]
    good = [k for k in framed if k not in bad]
    flagged = [k for k in framed if framed[k]["unsure"]]
    quick = [r["seconds"] for r in rows.values() if not r["searched_turns"]]
    slow = [r["seconds"] for r in rows.values() if r["searched_turns"]]
    return rows, {
        "portraits": len(rows),
        "framed": len(framed),
        "refused": {k: r["refused"] for k, r in rows.items() if not r["framed"]},
        "framed_in_a_wrong_turn": sorted(k for k, r in framed.items() if r["turns"] != 0),
        "flagged": sorted(flagged),
        "hand_review_bad_or_off_framed": len(reviewed_bad),
        "caught": sorted(set(flagged) & set(reviewed_bad)),
        "missed_bad_framings": sorted(set(reviewed_bad) - set(flagged)),
        "false_flags": sorted(set(flagged) & set(good)),
        "false_flag_rate": round(len(set(flagged) & set(good)) / max(len(good), 1), 4),
        "flagged_borderline": sorted(set(flagged) & set(review["borderline_counted_good"])),
        "missed_rate": round(len(set(reviewed_bad) - set(flagged)) / max(len(reviewed_bad), 1), 4),
        "refused_hand_review_bad_or_off": sorted(k for k in rows if not rows[k]["framed"] and k in bad),
        "cpu_seconds_searched_as_it_is_only_median": round(float(np.median(quick)), 3) if quick else None,
        "cpu_seconds_four_turns_searched_median": round(float(np.median(slow)), 3) if slow else None,
        "share_searching_four_turns": round(len(slow) / len(rows), 4),
    }


def windows_by_turn(images: dict) -> dict:
    """The cascade's windows for the strongest face of each image as it is (a face the right way
    up) and in each of its three other turns (any face found there is a wrong one)."""
    strength = lambda found: max((d.windows for d in found), default=0)  # noqa: E731
    right, wrong = [], []
    for image in images.values():
        right.append(strength(faces.find_faces(image)))
        wrong += [strength(faces.find_faces(faces.turn(image, k))) for k in (1, 2, 3)]
    right, wrong = np.array(right), np.array(wrong)
    percentiles = lambda v: {f"p{q}": float(np.percentile(v, q)) for q in (0, 5, 25, 50, 75, 95, 100)}  # noqa: E731
    return {"right_way_up": percentiles(right), "wrong_turns_with_a_face": int((wrong > 0).sum()),
            "wrong_turns": len(wrong), "wrong_turns_windows": percentiles(wrong[wrong > 0]) if wrong.any() else None,
            "right_way_up_below_SURE_WINDOWS": int((right < faces.SURE_WINDOWS).sum()),
            "wrong_turns_at_or_above_SURE_WINDOWS": int((wrong >= faces.SURE_WINDOWS).sum())}


def turned(images: dict):
    """Frame each image in its three other turns (np.rot90 k = 1, 2, 3: anticlockwise)."""
    counts = {"cases": 0, "found_upright": 0, "refused": 0, "wrong_turn": 0, "flagged": 0}
    wrong, refused = [], []
    for number, (name, image) in enumerate(images.items()):
        if number % 10 == 0:
            print(f"turned: {number} of {len(images)}", flush=True)
        for k in (1, 2, 3):
            framed, refusal, _ = frame(np.ascontiguousarray(np.rot90(image, k)), f"{name} turned {k}")
            counts["cases"] += 1
            if framed is None:
                counts["refused"] += 1
                refused.append(f"{name}:{k}")
            elif (framed.turns - k) % 4 == 0:  # turning it clockwise k quarter turns undoes np.rot90(·, k)
                counts["found_upright"] += 1
                counts["flagged"] += framed.unsure
            else:
                counts["wrong_turn"] += 1
                wrong.append(f"{name}:{k} -> {framed.turns}")
    return {**counts, "refused_ids": refused, "wrong_turn_ids": wrong}


def celeba(count: int, turned_count: int):
    from skimage.transform import resize

    root = celeba_root()
    if root is None:
        return None
    truth = faces.celeba_crop_box(178, 218)
    images, rows = {}, []
    for path in list_images(root, "validation", 100 + count)[100:]:
        image, _ = read_rgb(path)
        if image.shape[:2] != (218, 178):
            image = (resize(image, (218, 178), anti_aliasing=True) * 255).astype(np.uint8)
        images[path.stem] = image
        framed, refusal, _ = frame(image, path.name)
        rows.append(None if framed is None else (framed.turns, framed.crop.iou(truth), framed.unsure))
    done = [r for r in rows if r is not None and r[0] == 0]
    iou = np.array([r[1] for r in done])
    flag = np.array([r[2] for r in done])
    poor = iou < 0.5
    return {
        "faces": f"validation {100}-{100 + count - 1} at 178x218",
        "framed_upright": len(done), "refused": sum(r is None for r in rows),
        "framed_in_a_wrong_turn": sum(r is not None and r[0] != 0 for r in rows),
        "iou_median": round(float(np.median(iou)), 3),
        "iou_below_0.5": int(poor.sum()), "flagged": int(flag.sum()),
        "flagged_with_iou_below_0.5": int((flag & poor).sum()),
        "flagged_with_iou_at_least_0.5": int((flag & ~poor).sum()),
        "turned": turned(dict(list(images.items())[:turned_count])),
        "windows": windows_by_turn(dict(list(images.items())[:turned_count])),
    }


def contact_sheets(files, folder: Path, per_sheet: int = 30):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from inpaintkit.data import to_uint8

    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(files), per_sheet):
        figure, axes = plt.subplots(5, 6, figsize=(12, 10.6))
        for ax in axes.flat:
            ax.axis("off")
        for ax, path in zip(axes.flat, files[start:start + per_sheet]):
            framed, refusal, _ = frame(read_rgb(path)[0], path.stem)
            if framed is not None:
                ax.imshow(to_uint8(framed.face))
            ax.set_title(path.stem + (" (unsure)" if framed is not None and framed.unsure else
                                      "" if framed is not None else " refused"), fontsize=8)
        figure.tight_layout(pad=0.2)
        figure.savefig(folder / f"portraits_{start // per_sheet:02d}.png", dpi=80)
        plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = next((base / "shared" / "data" / "portraits" / "images" for base in (ROOT.parent, ROOT.parents[1])
                    if (base / "shared" / "data" / "portraits" / "images").is_dir()), None)
    parser.add_argument("--source", default=default, required=default is None)
    parser.add_argument("--turned", type=int, default=50, help="portraits framed in their three other turns")
    parser.add_argument("--celeba", type=int, default=100)
    parser.add_argument("--celeba-turned", type=int, default=25)
    parser.add_argument("--out", default=str(ROOT / "results" / "framing_review.json"))
    parser.add_argument("--sheets", default=None, help="folder for contact sheets of the framed portraits")
    parser.add_argument("--docs-only", action="store_true", help="write the rates of --out into the docs only")
    args = parser.parse_args()
    if args.docs_only:
        write_docs(json.loads(Path(args.out).read_text()))
        return
    for doc in DOCS:  # a doc without its markers fails now, not after the measurement
        check_record_target(doc, "framing_rates")
    files = sorted(Path(args.source).glob("*.jpg"))
    if args.sheets:
        contact_sheets(files, Path(args.sheets))
    record = json.loads(Path(args.out).read_text())
    review = record["hand_review"]
    memoise_search()
    rows, upright = upright_portraits(files, review)
    step = max(1, len(files) // args.turned)
    sample = files[::step][:args.turned]
    images = {path.stem: read_rgb(path)[0] for path in sample}
    record["measured"] = {
        "settings": {"SURE_WINDOWS": faces.SURE_WINDOWS, "TURN_MARGIN": faces.TURN_MARGIN,
                     "WEAK_PASS": faces.WEAK_PASS, "SPREAD_LIMIT": faces.SPREAD_LIMIT,
                     "OUTSIDE_NOTE": faces.OUTSIDE_NOTE, "OUTSIDE_LIMIT": faces.OUTSIDE_LIMIT},
        "portraits_upright": upright,
        "portraits_turned": {"portraits": f"all {len(sample)}" if step == 1 else
                             f"{len(sample)}: every {step}th id from {sample[0].stem}", **turned(images)},
        "portraits_windows": windows_by_turn(images),
        "celeba": celeba(args.celeba, args.celeba_turned),
    }
    atomic_write_text(args.out, json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps(record["measured"], indent=1, ensure_ascii=False), flush=True)
    write_docs(record)


if __name__ == "__main__":
    main()

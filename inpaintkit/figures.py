"""Regenerate every figure in ``figures/`` from code: ``python -m inpaintkit figures``.

Committed figures show only the built-in sample faces, generated faces and plots of numbers, never
a CelebA image. Panels of CelebA faces (the Fig. 6 and Fig. 10 style cases, picked by the
measures of :mod:`inpaintkit.shortcomings`) are written to ``figures/celeba/``, which git ignores.

The figures come in parts, so that a cheap one (the plots of the committed evaluation) can be
redrawn without re-running the optimisations behind the others (``--only evaluation``):

- ``patterns``: the six hole patterns on the sample face (§3.3);
- ``pipeline``: Fig. 1 / Fig. 9 style rows, masked | inpainted [Yeh] | refined | original, one per
  pattern; the loss curves of both stages; pasting against Poisson blending (Fig. 5);
- ``steps``: Fig. 11 style, inpainting for 1500 and 3000 steps against 1500 + refinement 1500 (Table 2);
- ``evaluation``: the per-image before/after changes of the committed evaluation run (Table 1);
- ``cases``: Fig. 6 (refinement fixes) and Fig. 10 (refinement fails) on the sample face under
  many random holes (patterns 1, 2, 3 and 6, a seed each), picked by the colour gap across the
  hole's edge;
- ``gallery``: on every built-in portrait and every pattern (1500 + 1500 steps by default), the
  best, median and worst fill by hole MAE, labelled as such (``gallery.png``), and every face's
  numbers (``gallery.json``): what a learner can expect, not a choice of pretty cases;
- ``celeba``: local only, Fig. 6 and Fig. 10 on CelebA validation faces, picked by the colour
  gap to the mirrored known side (left-half pattern).
"""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from . import blending, masks, plotting
from .config import cache_dir
from .data import celeba_root, load_celeba, portrait_ids, sample_faces
from .errors import InputError
from .evaluation import initial_z, masks_for
from .metrics import image_metrics
from .pipeline import fig8
from .reports import load_results
from .shortcomings import pick_cases, shortcoming_measures
from .storage import atomic_path, atomic_write_text
from .weights_io import load_pretrained, weights_fingerprint

__all__ = ["CASE_PATTERNS", "DRAWN_BY", "PARTS", "celeba_folder", "gallery_changes", "load_gallery", "make_all",
           "record_weights"]

PARTS = ("patterns", "pipeline", "steps", "evaluation", "cases", "gallery", "celeba")
CASE_PATTERNS = (1, 2, 3, 6)  # the random holes: every image gets a different one


DRAWN_BY = "weights.json"  # figure file -> fingerprint of the G and D that drew it


def record_weights(out: str | Path, paths, G, D) -> None:
    """Note in ``out/weights.json`` which weights (:func:`dcgan.weights_fingerprint`) drew each
    of ``paths``, so that a figure left over from an older generator is caught (a test compares
    the record with the shipped weights). Figures under ``out/celeba/`` are local and not noted."""
    record_file = Path(out) / DRAWN_BY
    record = json.loads(record_file.read_text()) if record_file.exists() else {}
    fingerprint = weights_fingerprint(G, D)
    record.update({Path(p).name: fingerprint for p in paths if Path(p).parent == Path(out)})
    atomic_write_text(record_file, json.dumps(dict(sorted(record.items())), indent=1) + "\n")


def _save(figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(figure)
    print(f"wrote {path}")
    return path


def patterns_figure(out: Path, faces, seed: int) -> list[Path]:
    six = [masks.make_mask(n, seed=seed) for n in masks.PATTERNS]
    titles = [f"({n}) {masks.missing_fraction(k):.0%}" for n, k in zip(masks.PATTERNS, six)]
    grid = plotting.show_grid([masks.apply_mask(faces[0], k) for k in six], ncols=6, size=1.4, titles=titles)
    return [_save(grid, out / "patterns.png")]


def pipeline_figures(out: Path, faces, G, D, steps: int, seed: int) -> list[Path]:
    numbers = list(masks.PATTERNS)
    batch = np.stack([faces[i % len(faces)] for i in range(len(numbers))])
    known = np.stack([masks.make_mask(n, seed=seed) for n in numbers])
    mu = np.array([masks.pattern(n).mu for n in numbers], np.float32)
    result = fig8(batch, known, G, D, mu=mu, inpaint_steps=steps, refine_steps=steps, seed=seed, original=batch)
    traces = {"inpainting (Eq. 3)": result.inpaint_losses, "refinement (Eq. 9)": result.refine_losses}
    pasted = blending.paste(batch, known, result.x_g)
    rows = [[masks.apply_mask(b, k), p, x] for b, k, p, x in zip(batch[:3], known[:3], pasted[:3], result.x_b[:3])]
    return [_save(result.plot(), out / "pipeline_six_patterns.png"),
            _save(plotting.plot_traces(traces, log=True), out / "loss_curves.png"),
            _save(plotting.show_grid(np.concatenate(rows), ncols=3, size=1.6,
                                     titles=["masked", "pasted", "Poisson blended"]), out / "blending.png")]


def steps_figure(out: Path, faces, G, D, steps: int, seed: int, count: int = 8) -> list[Path]:
    """Table 2 as pictures on the first ``count`` portraits (eight rows make the point; every
    portrait would make a page-long file): the refinement run starts from the 1500-step blend of
    the same run."""
    faces = faces[:count]
    centre = masks.make_masks(5, len(faces), seed=seed)
    run = fig8(faces, centre, G, D, mu=masks.pattern(5).mu, inpaint_steps=steps, refine_steps=steps, seed=seed,
               longer_inpainting=steps)
    at_half, at_full, final = run.x_b, run.x_b_longer, run.x
    rows = [[masks.apply_mask(f, k), a, b, r, f] for f, k, a, b, r in zip(faces, centre, at_half, at_full, final)]
    titles = ["masked", f"inpaint {steps}", f"inpaint {2 * steps}", f"{steps} + refine {steps}", "original"]
    return [_save(plotting.show_grid(np.concatenate(rows), ncols=5, size=1.5, titles=titles),
                  out / "steps_vs_refinement.png")]


def evaluation_figures(out: Path, results: str | Path) -> list[Path]:
    rows = load_results(results)["rows"]
    if not rows:
        print(f"no evaluation rows in {results}: run `python -m inpaintkit evaluate` first")
        return []
    return [_save(plotting.plot_differences(rows, metric), out / f"table1_{metric.lower()}_change.png")
            for metric in ("MAE", "PSNR")]


def celeba_folder(out: str | Path) -> Path:
    """``out/celeba/``, created with a .gitignore of everything: where any figure showing CelebA
    faces goes, so that CelebA pixels are never committed."""
    local = Path(out) / "celeba"
    local.mkdir(parents=True, exist_ok=True)
    (local / ".gitignore").write_text("*\n")
    return local


def celeba_figures(out: Path, root, G, D, steps: int, seed: int, count: int) -> list[Path]:
    """Fig. 6 and Fig. 10 on CelebA validation faces, into ``out/celeba/`` (git-ignored)."""
    local = celeba_folder(out)
    people = load_celeba(root, "validation", count, progress=False)
    left = masks.make_masks(4, len(people), seed=seed)
    run = fig8(people, left, G, D, mu=masks.pattern(4).mu, inpaint_steps=steps, refine_steps=steps, seed=seed,
               original=people)
    return _case_figures(local, people, run, D, "mirror_color_gap")


def cases_figures(out: Path, faces, G, D, steps: int, seed: int, count: int = 16) -> list[Path]:
    """Fig. 6 and Fig. 10 on the sample face: ``count`` random holes, one seed each."""
    numbers = [CASE_PATTERNS[i % len(CASE_PATTERNS)] for i in range(count)]
    batch = np.stack([faces[i % len(faces)] for i in range(count)])
    known = np.stack([masks.make_mask(n, seed=seed + i) for i, n in enumerate(numbers)])
    mu = np.array([masks.pattern(n).mu for n in numbers], np.float32)
    run = fig8(batch, known, G, D, mu=mu, inpaint_steps=steps, refine_steps=steps, seed=seed, original=batch)
    return _case_figures(out, batch, run, D, "edge_color_gap")


def _case_figures(folder: Path, faces, run, D, key: str) -> list[Path]:
    """Fig. 6 (``key`` fell most with refinement) and Fig. 10 (rose most), four rows each."""
    before = shortcoming_measures(D, faces, run.known, run.x_g, run.x_b)
    after = shortcoming_measures(D, faces, run.known, run.x_r, run.x)
    written = []
    for name, largest in (("fig6_refinement_fixes", True), ("fig10_refinement_fails", False)):
        picked = pick_cases(before, after, key, min(4, len(faces)), largest_gain=largest)
        panels = [[masks.apply_mask(faces[i], run.known[i]), run.x_b[i], run.x[i], faces[i]] for i in picked]
        written.append(_save(plotting.show_grid(np.concatenate(panels), ncols=4, size=1.5,
                                                titles=["masked", "inpainted [Yeh]", "refined", "original"]),
                             folder / f"{name}.png"))
    return written


def gallery_runs(faces, G, D, steps: int, seed: int) -> dict[int, dict[str, np.ndarray]]:
    """Fig. 8 on every face under every pattern, masks and starting z drawn per face as the
    evaluation draws them; per pattern the final images and each face's hole and whole-image MAE.
    Each pattern's run is kept in the cache folder (keyed by the weights, steps and seed), so an
    interrupted gallery resumes at the next pattern."""
    folder = cache_dir() / "gallery" / f"{weights_fingerprint(G, D)[:16]}-{steps}-{seed}"
    indices = range(len(faces))
    runs = {}
    for which in masks.PATTERNS:
        stored = folder / f"pattern{which}.npz"
        if stored.exists():
            runs[which] = dict(np.load(stored))
            continue
        known = masks_for(which, indices, seed)
        run = fig8(faces, known, G, D, mu=masks.pattern(which).mu, inpaint_steps=steps, refine_steps=steps,
                   seed=seed, z0=initial_z(which, indices, seed, 0), z_fresh=initial_z(which, indices, seed, 1),
                   original=faces, progress=False)
        runs[which] = {"known": known, "x_b": run.x_b, "x": run.x,
                       "hole_mae": image_metrics(run.x, faces, known, region="missing")["MAE"],
                       "hole_mae_before": image_metrics(run.x_b, faces, known, region="missing")["MAE"],
                       "image_mae": image_metrics(run.x, faces)["MAE"]}
        try:  # the cache is optional: a folder that cannot be written costs a rerun, not the figure
            folder.mkdir(parents=True, exist_ok=True)
            with atomic_path(stored) as tmp:
                np.savez(tmp, **runs[which])
        except OSError as error:
            print(f"note: the gallery's cache {folder} cannot be written ({error.strerror}); going on without it")
        print(f"gallery: pattern {which} done")
    return runs


def gallery_figures(out: Path, faces, G, D, steps: int, seed: int) -> list[Path]:
    """The best, median and worst refined fill by hole MAE for each pattern, on the built-in portraits."""
    runs = gallery_runs(faces, G, D, steps, seed)
    ids = portrait_ids()[:len(faces)]
    panels, titles, record = [], [], {"steps": steps, "seed": seed, "faces": len(faces), "patterns": {}}
    for which, run in runs.items():
        order = np.argsort(run["hole_mae"], kind="stable")
        picks = {"best": order[0], "median": order[len(order) // 2], "worst": order[-1]}
        for label, i in picks.items():
            panels += [masks.apply_mask(faces[i], run["known"][i]), run["x"][i], faces[i]]
            titles += [f"({which}) {label}: {ids[i]}", f"refined, hole MAE {run['hole_mae'][i]:.1f}", "original"]
        record["patterns"][str(which)] = {
            "picks": {label: ids[i] for label, i in picks.items()},
            "hole_mae": {ids[i]: round(float(v), 2) for i, v in enumerate(run["hole_mae"])},
            "hole_mae_before_refinement": {ids[i]: round(float(v), 2) for i, v in enumerate(run["hole_mae_before"])},
            "image_mae": {ids[i]: round(float(v), 2) for i, v in enumerate(run["image_mae"])}}
    grid = plotting.show_grid(panels, titles=titles, ncols=9, size=1.25,
                              suptitle=f"Best, median and worst of {len(faces)} built-in portraits by hole MAE, "
                                       f"{steps} + {steps} steps (public-domain portraits)")
    for axis in grid.axes:
        axis.title.set_fontsize(6)
    atomic_write_text(out / "gallery.json", json.dumps(record, indent=1) + "\n")
    return [_save(grid, out / "gallery.png"), out / "gallery.json"]


def load_gallery(path: str | Path) -> dict:
    """The gallery's numbers (``gallery.json``, written by ``figures --only gallery``); a missing or
    unreadable file is refused, naming it."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a gallery record (figures/gallery.json)")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(record["patterns"], dict) or not record["patterns"]:
            raise TypeError("no patterns")
        record["steps"], record["faces"]
    except FileNotFoundError:
        raise InputError(f"no gallery at {path}: run `python -m inpaintkit figures --only gallery`") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read {path}: {error}") from None
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise InputError(f"{path} is not a gallery record ({error}); run `python -m inpaintkit figures "
                         "--only gallery` again") from None
    return record


def gallery_changes(record: dict) -> dict[int, dict[str, float]]:
    """Per pattern of a gallery record: the median hole MAE over the portraits before and after
    refinement, and on how many of them refinement lowered it (the honest version of Fig. 6's claim)."""
    out = {}
    for which, numbers in record["patterns"].items():
        if not (str(which).isdigit() and isinstance(numbers, dict)):
            raise InputError(f"the gallery's patterns are keyed by number with their numbers, got {which!r}")
        before, after = numbers.get("hole_mae_before_refinement"), numbers.get("hole_mae")
        if not isinstance(before, dict) or not isinstance(after, dict) or not after or set(before) != set(after):
            raise InputError(f"the gallery's pattern {which} must hold the same faces before and after refinement, "
                             f"at least one: got {sorted(before or [])} and {sorted(after or [])}")
        values = [*before.values(), *after.values()]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in values):
            raise InputError(f"the gallery's pattern {which} holds a hole MAE that is not a finite number")
        out[int(which)] = {"before": float(np.median(list(before.values()))),
                           "after": float(np.median(list(after.values()))),
                           "lowered": sum(after[face] < before[face] for face in after), "faces": len(after)}
    return out


def make_all(out: str | Path, *, results: str | Path, steps: int = 1500, celeba_count: int = 64, seed: int = 0,
             parts=PARTS) -> list[Path]:
    """The figures of ``parts`` into ``out``; ``steps`` per optimisation stage (the paper's 1500 by
    default); ``results``: the evaluation run whose per-face changes are plotted."""
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise InputError(f"unknown figure part(s) {sorted(unknown)}; choose from {PARTS}")
    out = Path(out)
    faces = sample_faces()
    G = D = None
    if set(parts) & {"pipeline", "steps", "cases", "gallery", "celeba"}:
        G, D = load_pretrained()
    written = []
    if "patterns" in parts:
        written += patterns_figure(out, faces, seed)
    drawn = []
    if "pipeline" in parts:
        drawn += pipeline_figures(out, faces, G, D, steps, seed)
    if "steps" in parts:
        drawn += steps_figure(out, faces, G, D, steps, seed)
    if "evaluation" in parts:
        written += evaluation_figures(out, results)
    if "cases" in parts:
        drawn += cases_figures(out, faces, G, D, steps, seed)
    if "gallery" in parts:
        drawn += gallery_figures(out, faces, G, D, steps, seed)
    if drawn:
        record_weights(out, drawn, G, D)
    written += drawn
    root = celeba_root()
    if "celeba" in parts and root is not None:
        written += celeba_figures(out, root, G, D, steps, seed, celeba_count)
    return written

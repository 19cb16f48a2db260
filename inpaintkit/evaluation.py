"""Reproducing the paper's Table 1 and Table 2 (§3.4) on held-out CelebA faces.

For every hole pattern and every batch of faces the full pipeline (Fig. 8) runs with the paper's
µ; metrics are computed on 0–255 over the whole image (as the paper reports) and over the hole
only. Table 2 (centre pattern) compares inpainting for 1500 steps, for 3000 steps, and 1500
steps of inpainting followed by 1500 of refinement; the 1500-step result is the first half of
the 3000-step run (same seed, same z), so it costs no extra optimisation.

A run is resumable: each finished batch is written atomically as a small JSON of metrics (no
images, so results can be committed without any CelebA pixel), and a restarted run skips the
batches that are already there. Masks and initial z are drawn per image from (seed, pattern,
image index), so the numbers do not depend on the batch size.
"""
from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import numpy as np

from .blending import poisson_blend
from .dcgan import Z_DIM, sample_z
from .masks import make_mask, pattern
from .metrics import METRICS, image_metrics, mean_metrics
from .shortcomings import MEASURES, before_after, shortcoming_measures
from .storage import atomic_write_text

# Table 1 and Table 2 of the paper: (MAE, MSE, PSNR, MSSIM), before → after refinement.
PAPER_TABLE1 = {
    1: ((16.20, 777.16, 19.23, 0.8760), (14.04, 626.17, 20.16, 0.8921)),
    2: ((35.60, 1852.22, 15.45, 0.7411), (32.75, 1599.89, 16.09, 0.7624)),
    3: ((39.43, 2011.45, 15.45, 0.707), (35.01, 1607.32, 16.07, 0.740)),
    4: ((34.87, 1980.77, 15.16, 0.7601), (31.62, 1645.05, 15.97, 0.7823)),
    5: ((15.18, 704.54, 19.65, 0.8716), (13.68, 570.18, 20.57, 0.8840)),
    6: ((16.08, 323.97, 23.03, 0.8908), (16.08, 323.97, 23.03, 0.8908)),
}
PAPER_TABLE2 = {
    "inpainting 1500": (15.18, 704.54, 19.65, 0.872),
    "inpainting 3000": (15.03, 694.53, 19.71, 0.874),
    "inpainting 1500 + refinement 1500": (13.68, 570.18, 20.57, 0.8840),
}
STAGES = ("before", "after", "inpaint3000")


def image_seed(seed: int, which: int, index: int) -> list[int]:
    """The random stream of one image of one pattern: independent of how images are batched."""
    return [seed, which, index]


def masks_for(which: int, indices, seed: int) -> np.ndarray:
    return np.stack([make_mask(which, np.random.default_rng(image_seed(seed, which, i))) for i in indices])


def initial_z(which: int, indices, seed: int, stage: int) -> np.ndarray:
    return np.concatenate([sample_z(1, seed=image_seed(seed, which, i) + [stage], z_dim=Z_DIM) for i in indices])


def run_batch(G, D, faces, which: int, indices, *, steps: int, refine_steps: int, seed: int,
              table2: bool, progress: bool = False) -> dict:
    """Inpaint → blend → refine → blend one batch of one pattern; metrics only, per image."""
    from .inpainting import semantic_inpaint
    from .refinement import DEFAULT_INIT, refine

    known = masks_for(which, indices, seed)
    p = pattern(which)
    long_run = table2 and which == 5
    total = 2 * steps if long_run else steps
    inpainted = semantic_inpaint(faces, known, G, D, steps=total, seed=seed, z0=initial_z(which, indices, seed, 0),
                                 keep_z_at=(steps,), progress=progress)
    z_g = inpainted.z_at[steps] if long_run else inpainted.z
    x_g = G(z_g, training=False).numpy() if long_run else inpainted.x_g
    x_b = poisson_blend(faces, known, x_g)
    refined = refine(x_b, known, G, D, mu=p.mu, steps=refine_steps, init=DEFAULT_INIT, z_init=z_g,
                     z_fresh=initial_z(which, indices, seed, 1), progress=progress)
    x = poisson_blend(faces, known, refined.x_r)
    out: dict = {"pattern": which, "indices": [int(i) for i in indices]}
    stages = {"before": x_b, "after": x}
    if long_run:
        stages["inpaint3000"] = poisson_blend(faces, known, inpainted.x_g)
    for stage, images in stages.items():
        for region in ("image", "missing"):
            values = image_metrics(images, faces, known, region=region)
            for name in METRICS:
                out[f"{stage}_{region}_{name}"] = values[name].tolist()
    # The §1.4 measures per stage: consensus, D's view of G(z) against the blend, colour gaps.
    for stage, synthetic, blended in (("before", x_g, x_b), ("after", refined.x_r, x)):
        for key, values in shortcoming_measures(D, faces, known, synthetic, blended).items():
            out[f"{stage}_{key}"] = values.tolist()
    return out


BASELINES = {
    "grey": "grey: the hole filled with 0 (mid-grey)",
    "mean_colour": "mean colour: each channel's mean over the known pixels",
    "smooth": "smooth: Eq. 6 with the plain Laplacian and no guide (x_g = 0)",
}


def baseline_fills(faces, known) -> dict[str, np.ndarray]:
    """Fills that use no generator, on the same faces and masks: the yardstick for what the GAN
    adds. "smooth" minimises ‖L x‖² with the known pixels fixed (L the 8-neighbour Laplacian),
    the smoothest surface through the hole's border: Poisson blending with nothing to blend."""
    faces = np.asarray(faces, np.float32)
    known = np.asarray(known, bool)
    means = np.stack([f[k].mean(axis=0) for f, k in zip(faces, known)])[:, None, None, :]
    return {"grey": np.where(known[..., None], faces, np.float32(0.0)),
            "mean_colour": np.where(known[..., None], faces, means).astype(np.float32),
            "smooth": poisson_blend(faces, known, np.zeros_like(faces), kind="laplacian")}


def evaluate_baselines(faces, out, *, patterns=(1, 2, 3, 4, 5, 6), seed: int = 0) -> dict:
    """Per-image metrics of :func:`baseline_fills` on the run's faces and masks (the masks of
    :func:`masks_for`, so the same holes), written atomically to ``baselines.json``."""
    result: dict = {}
    for which in patterns:
        known = masks_for(which, range(len(faces)), seed)
        fills = baseline_fills(faces, known)
        result[str(which)] = {name: {metric: values.tolist() for metric, values
                                     in image_metrics(fill, faces, known).items()} for name, fill in fills.items()}
    atomic_write_text(Path(out) / "baselines.json", json.dumps(result))
    return result


def by_pattern(rows) -> dict[int, list[dict]]:
    """The rows of each hole pattern, in pattern order."""
    groups: dict[int, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["pattern"], []).append(row)
    return dict(sorted(groups.items()))


def _stage_cells(rows, cell) -> list[str]:
    """``cell`` of the whole-image means before and after refinement; "–" while no row exists."""
    return [cell(_stage_means(rows, stage, "image")) if rows else "–" for stage in ("before", "after")]


def _baseline_means(baselines: dict, which: int, rows) -> dict[str, dict[str, float]]:
    """Mean metrics of each baseline fill for one pattern, over the faces the run has finished
    for that pattern (all faces while none is), so that they sit beside the GAN's on the same faces."""
    indices = [r["index"] for r in by_pattern(rows).get(which, [])]
    per_fill = baselines[str(which)]
    return {name: mean_metrics({k: np.asarray(v)[indices] if indices else np.asarray(v)
                                for k, v in per_fill[name].items()}) for name in BASELINES}


def baseline_maes(baselines: dict, rows) -> dict[int, dict[str, float]]:
    """Per pattern, the whole-image MAE of every baseline fill and of the GAN before ("inpainted")
    and after ("refined") refinement, on the same faces: what the generator adds, in one number."""
    out = {}
    for which, sub in by_pattern(rows).items():
        if str(which) not in baselines:
            continue
        out[which] = {name: m["MAE"] for name, m in _baseline_means(baselines, which, sub).items()}
        out[which].update(inpainted=_stage_means(sub, "before", "image")["MAE"],
                          refined=_stage_means(sub, "after", "image")["MAE"])
    return out


def baselines_markdown(baselines: dict, rows) -> str:
    """Whole-image MAE and PSNR of the baseline fills beside the GAN's, before and after
    refinement, on the same faces."""
    names = list(BASELINES)
    lines = ["| pattern | " + " | ".join(names) + " | inpainted [Yeh] | refined |",
             "| --- |" + " --- |" * (len(names) + 2)]
    groups = by_pattern(rows)
    for which in sorted(int(w) for w in baselines):
        sub = groups.get(which, [])
        cells = [f"{m['MAE']:.2f} / {m['PSNR']:.2f}" for m in _baseline_means(baselines, which, sub).values()]
        cells += _stage_cells(sub, lambda m: f"{m['MAE']:.2f} / {m['PSNR']:.2f}")
        lines.append(f"| ({which}) {pattern(which).key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def hole_only_ratio(mae, mse, missing_fraction):
    """MAE / √(f · MSE): at most 1 whenever the errors lie in the hole alone.

    Cauchy–Schwarz: if only a fraction f of an image's values differ, MAE ≤ √f · √MSE; for
    means over images it still holds (the mean of √MSEᵢ is at most √(mean MSE), Jensen). Our
    blends keep every known pixel exactly, so our ratios are ≤ 1 by construction; a ratio above 1
    proves that the scored images also differ from the original outside the hole.
    """
    return np.asarray(mae, float) / np.sqrt(missing_fraction * np.asarray(mse, float))


def consistency_markdown(rows) -> str:
    """The hole-only check of :func:`hole_only_ratio` for the paper's Table 1 and for our run."""
    lines = ["| pattern | missing | paper before | paper after | ours before | ours after |",
             "| --- | --- | --- | --- | --- | --- |"]
    groups = by_pattern(rows)
    for which, (before, after) in PAPER_TABLE1.items():
        f = pattern(which).missing_fraction
        cells = [f"{hole_only_ratio(m[0], m[1], f):.2f}" for m in (before, after)]
        cells += _stage_cells(groups.get(which, []), lambda m: f"{hole_only_ratio(m['MAE'], m['MSE'], f):.2f}")
        lines.append(f"| ({which}) {pattern(which).key} | {f:.1%} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _default_init() -> str:
    from .refinement import DEFAULT_INIT

    return DEFAULT_INIT


def batch_file(out: Path, which: int, number: int) -> Path:
    return out / "batches" / f"pattern{which}_batch{number:03d}.json"


def evaluate(faces, names, G, D, out, *, patterns=(1, 2, 3, 4, 5, 6), steps: int = 1500,
             refine_steps: int = 1500, batch_size: int = 50, seed: int = 0, table2: bool = True,
             progress: bool = True) -> dict:
    """Run (or resume) the evaluation; returns the aggregated per-image rows and tables."""
    from tqdm.auto import tqdm

    out = Path(out)
    (out / "batches").mkdir(parents=True, exist_ok=True)
    settings = {"n": len(faces), "patterns": list(patterns), "steps": steps, "refine_steps": refine_steps,
                "batch_size": batch_size, "seed": seed, "table2": table2, "refine_init": _default_init()}
    settings_file = out / "settings.json"
    if settings_file.exists():
        saved = json.loads(settings_file.read_text())
        if {k: v for k, v in saved.items() if k != "seconds"} != settings:
            raise ValueError(f"{out} holds a run with other settings {saved}; pick another --out")
    else:
        atomic_write_text(settings_file, json.dumps(settings, indent=2))
    # Batch by batch across the patterns, so that a run stopped early covers every pattern equally.
    jobs = [(w, b) for b in range(-(-len(faces) // batch_size)) for w in patterns]
    bar = tqdm(jobs, desc="evaluation batches", disable=not progress)
    for which, number in bar:
        target = batch_file(out, which, number)
        if target.exists():
            continue
        indices = np.arange(number * batch_size, min(len(faces), (number + 1) * batch_size))
        began = time.perf_counter()
        result = run_batch(G, D, faces[indices], which, indices, steps=steps, refine_steps=refine_steps,
                           seed=seed, table2=table2)
        result["seconds"] = time.perf_counter() - began
        result["names"] = [names[i] for i in indices]
        atomic_write_text(target, json.dumps(result))
    return collect(out)


def collect(out) -> dict:
    """Read every finished batch of a run: per-image rows, Table 1, Table 2."""
    out = Path(out)
    batches = [json.loads(p.read_text()) for p in sorted((out / "batches").glob("*.json"))]
    rows = []
    for batch in batches:
        for k, index in enumerate(batch["indices"]):
            row = {"pattern": batch["pattern"], "index": index, "file": batch["names"][k]}
            row.update({key: value[k] for key, value in batch.items() if isinstance(value, list)
                        and key not in ("indices", "names")})
            rows.append(row)
    return {"rows": rows, "seconds": sum(b.get("seconds", 0.0) for b in batches)}


def bootstrap_ci(before, after, *, samples: int = 2000, seed: int = 0, level: float = 0.95):
    """Paired bootstrap confidence interval of mean(after − before)."""
    diff = np.asarray(after, float) - np.asarray(before, float)
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), (samples, len(diff)))].mean(axis=1)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(diff.mean()), float(low), float(high)


def _stage_means(rows, stage: str, region: str) -> dict[str, float]:
    per_image = {name: np.array([r[f"{stage}_{region}_{name}"] for r in rows]) for name in METRICS}
    return mean_metrics(per_image)


DELTA_FORMATS = {"MAE": "+.2f", "MSE": "+.1f", "PSNR": "+.2f", "MSSIM": "+.4f"}


def _delta_cell(rows, first: str, second: str, name: str, region: str = "image") -> str:
    """Mean change ``second − first`` of one metric, per image, with its 95 % bootstrap interval."""
    spec = DELTA_FORMATS[name]
    mean, low, high = bootstrap_ci([r[f"{first}_{region}_{name}"] for r in rows],
                                   [r[f"{second}_{region}_{name}"] for r in rows])
    return f"{mean:{spec}} [{low:{spec}}, {high:{spec}}]"


def table1_markdown(rows, region: str = "image") -> str:
    """Table 1: before → after refinement per pattern, ours beside the paper's, with 95 % CIs."""
    header = ("| pattern | n | MAE | MSE | PSNR | MSSIM | ΔMAE (95 % CI) | ΔPSNR (95 % CI) |\n"
              "| --- | --- | --- | --- | --- | --- | --- | --- |")
    lines = [header]
    for which, sub in by_pattern(rows).items():
        b, a = _stage_means(sub, "before", region), _stage_means(sub, "after", region)
        cells = [f"{b['MAE']:.2f} → {a['MAE']:.2f}", f"{b['MSE']:.1f} → {a['MSE']:.1f}",
                 f"{b['PSNR']:.2f} → {a['PSNR']:.2f}", f"{b['MSSIM']:.4f} → {a['MSSIM']:.4f}"]
        cells += [_delta_cell(sub, "before", "after", name, region) for name in ("MAE", "PSNR")]
        lines.append(f"| ({which}) {pattern(which).key} | {len(sub)} | " + " | ".join(cells) + " |")
        if region == "image":
            pb, pa = PAPER_TABLE1[which]
            lines.append(f"| paper ({which}) | 2000 | " + " | ".join(
                f"{x:g} → {y:g}" for x, y in zip(pb, pa)) + " | | |")
    return "\n".join(lines)


def deltas_markdown(comparisons) -> str:
    """Every metric's mean change with its 95 % paired bootstrap interval, one line per
    ``(label, rows, from_stage, to_stage)``: Δ = to − from, per image (PSNR per image too)."""
    lines = ["| change | n | " + " | ".join(f"Δ{name} (95 % CI)" for name in DELTA_FORMATS) + " |",
             "| --- | --- |" + " --- |" * len(DELTA_FORMATS)]
    for label, sub, first, second in comparisons:
        cells = [_delta_cell(sub, first, second, name) for name in DELTA_FORMATS]
        lines.append(f"| {label} | {len(sub)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def table1_deltas_markdown(rows) -> str:
    """Refinement's change of every metric per pattern (after − before), with intervals."""
    return deltas_markdown([(f"({w}) {pattern(w).key}: refined − inpainted", sub, "before", "after")
                            for w, sub in by_pattern(rows).items()])


def _table2_rows(rows) -> list[dict]:
    """Centre-pattern rows that carry the 3000-step run (all of them unless it was skipped)."""
    return [r for r in by_pattern(rows).get(5, []) if "inpaint3000_image_MAE" in r]


def table2_deltas_markdown(rows) -> str:
    """Table 2's three settings compared pairwise on the same centre-pattern faces, with intervals."""
    sub = _table2_rows(rows)
    return deltas_markdown([("inpainting 3000 − inpainting 1500", sub, "before", "inpaint3000"),
                            ("1500 + refinement 1500 − inpainting 1500", sub, "before", "after"),
                            ("1500 + refinement 1500 − inpainting 3000", sub, "inpaint3000", "after")]) if sub else ""


def refinement_changes(rows, region: str = "image") -> dict[int, dict[str, float]]:
    """Per pattern, the mean change after − before refinement of each metric (PSNR of the mean
    MSE, as in Table 1) and of the consensus |G(z) − y| on known pixels: the paper's claims in
    numbers (refinement helps on patterns 1–5, changes nothing on 6, raises the consensus)."""
    changes = {}
    for which, sub in by_pattern(rows).items():
        before, after = _stage_means(sub, "before", region), _stage_means(sub, "after", region)
        changes[which] = {name: after[name] - before[name] for name in METRICS}
        changes[which]["consensus"] = float(np.mean([r["after_consensus"] - r["before_consensus"] for r in sub]))
    return changes


def table2_markdown(rows) -> str:
    """Table 2 on the centre pattern: inpainting 1500, 3000, and 1500 + refinement 1500."""
    sub = _table2_rows(rows)
    if not sub:
        return "(no centre-pattern rows with the 3000-step run)"
    lines = ["| setting | n | MAE | MSE | PSNR | MSSIM | paper MAE / MSE / PSNR / MSSIM |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for label, stage in (("inpainting 1500", "before"), ("inpainting 3000", "inpaint3000"),
                         ("inpainting 1500 + refinement 1500", "after")):
        m = _stage_means(sub, stage, "image")
        paper = " / ".join(f"{v:g}" for v in PAPER_TABLE2[label])
        lines.append(f"| {label} | {len(sub)} | {m['MAE']:.2f} | {m['MSE']:.1f} | {m['PSNR']:.2f} | "
                     f"{m['MSSIM']:.4f} | {paper} |")
    return "\n".join(lines)


def shortcomings_markdown(rows) -> str:
    """The §1.4 measures per pattern, before → after refinement (means over the images).

    Colour gaps and the consensus are on 0–255; D's outputs are probabilities. The mirror gap
    exists only where a filled pixel's mirror image is known (not for the centred square).
    """
    labels = [label.replace("|", "\\|") for label in MEASURES.values()]  # a bare | would split a cell
    lines = ["| pattern | n | " + " | ".join(labels) + " |",
             "| --- | --- |" + " --- |" * len(MEASURES)]
    for which, sub in by_pattern(rows).items():
        stage = {s: {k: [r.get(f"{s}_{k}", np.nan) for r in sub] for k in MEASURES} for s in ("before", "after")}
        cells = before_after(stage["before"], stage["after"])
        lines.append(f"| ({which}) {pattern(which).key} | {len(sub)} | " + " | ".join(cells.values()) + " |")
    return "\n".join(lines)


def rows_csv(rows) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0].keys()), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    return buffer.getvalue()


def write_reports(out) -> dict:
    """Write per_image.csv, table1.md, table2.md beside the batches; return the collected run."""
    out = Path(out)
    run = collect(out)
    rows = run["rows"]
    atomic_write_text(out / "per_image.csv", rows_csv(rows))
    settings = json.loads((out / "settings.json").read_text())
    note = (f"n = {len(rows)} image-pattern pairs finished; {settings['steps']} inpainting + "
            f"{settings['refine_steps']} refinement steps; seed {settings['seed']}; "
            f"compute time {run['seconds'] / 3600:.2f} h on 2 CPU cores.\n\n")
    atomic_write_text(out / "table1.md", "# Table 1 (whole image, 0–255)\n\n" + note + table1_markdown(rows) +
                      "\n\n# Table 1 over the hole only\n\n" + table1_markdown(rows, "missing") +
                      "\n\n# Can the errors lie in the hole alone? MAE / √(f · MSE), at most 1 if so\n\n" +
                      consistency_markdown(rows) + "\n\n# Every metric's change, with its 95 % interval\n\n" +
                      table1_deltas_markdown(rows) + "\n")
    atomic_write_text(out / "table2.md", "# Table 2 (centre pattern)\n\n" + note + table2_markdown(rows) +
                      "\n\n# The differences, with their 95 % intervals\n\n" + table2_deltas_markdown(rows) + "\n")
    if (out / "baselines.json").exists():
        baselines = json.loads((out / "baselines.json").read_text())
        atomic_write_text(out / "baselines.md", "# Fills without a generator (whole image, MAE / PSNR)\n\n" +
                          "\n".join(f"- {text}" for text in BASELINES.values()) + "\n\n" +
                          baselines_markdown(baselines, rows) + "\n")
    atomic_write_text(out / "shortcomings.md", "# The §1.4 measures, before → after refinement\n\n" + note +
                      shortcomings_markdown(rows) + "\n")
    atomic_write_text(out / "summary.md", summary_markdown(rows, settings, run["seconds"]))
    return run


README_START = "<!-- results:start: copied from results/eval/summary.md -->"
README_END = "<!-- results:end -->"


def summary_markdown(rows, settings: dict, seconds: float) -> str:
    """The README's block of results: run settings, Table 1 and Table 2 (whole image)."""
    counts = ", ".join(f"({w}) {len(sub)}" for w, sub in by_pattern(rows).items())
    return (f"Faces per pattern: {counts}; {settings['steps']} inpainting + {settings['refine_steps']} "
            f"refinement steps,\nthe paper's µ, refinement from a {settings['refine_init']} z, seed "
            f"{settings['seed']}; {seconds / 3600:.1f} h of compute on 2 CPU cores.\n\n"
            "**Table 1** (whole image, 0–255; Δ = after − before, mean and 95 % paired bootstrap interval):\n\n"
            f"{table1_markdown(rows)}\n\n**Table 2** (centre pattern):\n\n{table2_markdown(rows)}\n")


def paste_summary(readme_text: str, summary: str) -> str:
    """Put `summary` between the README's results markers, replacing what was there."""
    if README_START not in readme_text or README_END not in readme_text:
        raise ValueError(f"the README lacks the markers {README_START!r} and {README_END!r}")
    head, rest = readme_text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    return f"{head}{README_START}\n{summary}{README_END}{tail}"


RESULTS = Path(__file__).resolve().parents[1] / "results" / "eval"


def load_results(out=RESULTS) -> dict:
    """The committed evaluation run (rows, settings, tables) or an empty one if none exists yet."""
    out = Path(out)
    if not (out / "settings.json").exists():
        return {"rows": [], "settings": None, "table1": "", "table2": "", "shortcomings": "", "baselines": "",
                "baseline_metrics": {}}
    run = collect(out)
    run["settings"] = json.loads((out / "settings.json").read_text())
    stored = out / "baselines.json"
    run["baseline_metrics"] = json.loads(stored.read_text()) if stored.exists() else {}
    for name in ("table1", "table2", "shortcomings", "baselines"):
        run[name] = (out / f"{name}.md").read_text() if (out / f"{name}.md").exists() else ""
    return run

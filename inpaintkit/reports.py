"""Reporting an evaluation run (§3.4): the finished batches of :mod:`inpaintkit.evaluation` as
per-image rows, Table 1 and Table 2 beside the paper's, intervals, baselines and the README block.

Nothing here runs a model: every function reads the batch files (numbers only) or the rows.

Averages: MAE, MSE and MSSIM are means over faces; the PSNR column is the PSNR of the mean MSE
(as the paper's tables are consistent with), while ΔPSNR and its interval average the per-face
PSNR changes (a paired bootstrap needs per-face values).
"""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np

from .config import BUDGETS
from .errors import InputError
from .masks import pattern
from .metrics import METRICS, mean_metrics
from .shortcomings import MEASURES, before_after
from .storage import atomic_write_text

__all__ = ["BASELINES", "BEFORE_THE_KEY", "DELTA_FORMATS", "GROWN_FROM", "NOTE_KEYS", "PAPER_TABLE1", "PAPER_TABLE2",
           "README_END", "README_START", "RUN_KEYS", "RUN_KEYS_BUT_SIZE", "SCHEMA", "SIZE_KEYS", "STAGES", "baseline_maes",
           "baselines_markdown", "baselines_match", "batch_files", "block_markers", "bootstrap_ci", "budget_price",
           "budget_price_markdown", "by_pattern", "check_beside", "check_record_target", "collect", "consistency_markdown",
           "deltas_markdown", "effect_size_summary", "effect_sizes", "findings_markdown", "grown_from",
           "hole_only_ratio", "interval_cell", "load_results", "paste_block", "paste_summary", "read_baselines",
           "read_batch", "read_block", "read_settings", "record_block", "refinement_changes", "relative_change",
           "rows_csv", "settings_differences", "shortcomings_markdown", "summary_markdown", "table1_deltas_markdown",
           "table1_markdown", "table2_deltas_markdown", "table2_markdown", "write_reports"]

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


BASELINES = {
    "grey": "grey: the hole filled with 0 (mid-grey)",
    "mean_colour": "mean colour: each channel's mean over the known pixels",
    "smooth": "smooth: Eq. 6 with the plain Laplacian and no guide (x_g = 0)",
}


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
    blends keep every known pixel exactly, so our ratios are ≤ 1 by construction. A ratio above 1
    shows that the scored images also differ from the original outside the hole, provided that f
    is the true hole fraction and MAE and MSE are means over the same values on the same scale
    (a hole larger by the factor ratio², or MAE averaged over fewer values, would also do it).
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


# ----------------------------------------------------------------------------- a run's settings
# settings.json of an evaluation folder, and the "settings" every batch file carries (schema 2):
#   schema         2 (a folder without it was written before these keys existed: schema 1)
#   data           the data folder the faces came from (a note: the same faces elsewhere are the same run)
#   partition      "validation" or "test" (None: faces handed over by Python code)
#   faces          sha256 of the faces' pixels (float32, in order): which faces, wherever they came from
#   n, patterns, steps, refine_steps, learning_rate, batch_size, seed, table2, refine_init, precision
#   weights        sha256 of G's and D's weights (weights_io.weights_fingerprint)
#   budget, n_asked  notes: the budget named on the command line, the --n asked for
#   grown_from     settings.json only, when the run grew: [{n, faces}] of the smaller runs it kept
SCHEMA = 2
# What defines a run's numbers: a resume, a shard or a merged batch must match every one.
RUN_KEYS = ("partition", "faces", "n", "patterns", "steps", "refine_steps", "learning_rate", "batch_size", "seed",
            "table2", "refine_init", "precision", "weights")
# Recorded for the reader, never compared.
NOTE_KEYS = ("schema", "data", "budget", "n_asked")
# A run grown to more faces (evaluation.evaluate with a larger n on a folder whose faces are the
# first of the new ones) keeps the smaller run's batches; settings.json lists the (n, faces) of
# every run it grew from, and a batch carrying one of them belongs to the grown run.
GROWN_FROM = "grown_from"
SIZE_KEYS = ("n", "faces")
# What a batch of a smaller run the folder grew from still shares with the folder's run.
RUN_KEYS_BUT_SIZE = tuple(key for key in RUN_KEYS if key not in SIZE_KEYS)
# The value a key had in runs recorded before the key existed (the kit could only do this then).
# (settings.json recorded the learning rate only when it was not the paper's, and had no
# precision before bfloat16 existed.)
BEFORE_THE_KEY = {"precision": "float32", "learning_rate": 0.003}
_REQUIRED = ("n", "patterns", "steps", "refine_steps", "batch_size", "seed")
_COUNTS = ("n", "steps", "refine_steps", "batch_size", "seed")


def _is_count(value, least: int = 1) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def read_settings(out) -> dict:
    """An evaluation folder's ``settings.json``, checked; keys a run recorded before they existed
    hold the value they must have had (:data:`BEFORE_THE_KEY`), and ``schema`` says which keys
    the folder records (1: none of ``data``, ``partition``, ``faces``)."""
    path = Path(out) / "settings.json"
    try:
        settings = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{Path(out)} holds no evaluation run (no settings.json)") from None
    except (OSError, ValueError) as error:
        raise InputError(f"{path} is damaged ({error.__class__.__name__}); pick another --out") from None
    missing = [key for key in _REQUIRED if not isinstance(settings, dict) or key not in settings]
    if missing:
        raise InputError(f"{path} is damaged: it lacks {', '.join(missing)}; pick another --out")
    for key in _COUNTS:
        least = 0 if key == "seed" else 1
        if not _is_count(settings[key], least):
            raise InputError(f"{path} is damaged: its {key} is {settings[key]!r}, not a whole number ≥ {least}; pick "
                             "another --out")
    schema = settings.get("schema", 1)
    grown = settings.get(GROWN_FROM, [])
    if not isinstance(grown, list) or not all(isinstance(size, dict) and _is_count(size.get("n"))
                                              and size["n"] < settings["n"] and isinstance(size.get("faces"), str)
                                              for size in grown):
        raise InputError(f"{path} is damaged: its {GROWN_FROM} is not a list of {{n, faces}} of smaller runs; pick "
                         "another --out")
    if schema not in (1, SCHEMA):
        raise InputError(f"{path} has schema {schema!r}, which this version of the kit does not know "
                         f"(it writes schema {SCHEMA}): update inpaintkit or pick another --out")
    return {**BEFORE_THE_KEY, **settings, "schema": schema}


def settings_differences(saved: dict, wanted: dict, keys=RUN_KEYS) -> list[str]:
    """``"key: saved → wanted"`` for every key of ``keys`` that both record and that differs (a key
    one of them lacks was recorded before it existed, and is checked by other means)."""
    return [f"{key}: {_short(saved[key])} → {_short(wanted[key])}" for key in keys
            if key in saved and key in wanted and saved[key] != wanted[key]]


def _short(value) -> str:
    text = repr(value)
    return text[:19] + "…'" if isinstance(value, str) and len(value) > 40 else text


def grown_from(settings: dict | None, recorded: dict) -> bool:
    """Whether a batch's recorded (n, faces) are those of a smaller run the folder's run grew from
    (:data:`GROWN_FROM`): its faces are the first of the run's, so it is one of the run's batches."""
    return any(all(recorded.get(key) == size[key] for key in SIZE_KEYS) for size in (settings or {}).get(GROWN_FROM, []))


def read_baselines(out) -> dict | None:
    """``baselines.json`` of a run as {pattern: {fill: {metric: per-face values}}} (its recorded
    ``settings`` left out), or None when there is none."""
    path = Path(out) / "baselines.json"
    if not path.exists():
        return None
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise InputError(f"{path} is damaged ({error.__class__.__name__}): delete it and run "
                         "`evaluate --report-only` to compute it again") from None
    return {key: value for key, value in stored.items() if key != "settings"}


def baselines_match(out, settings: dict) -> bool:
    """Whether ``out/baselines.json`` holds the baselines of the run ``settings`` describes: the
    same faces, n, patterns and seed (one written before it recorded them: n faces for each of
    the run's patterns). Stale baselines would sit beside the run's rows as if on its faces."""
    stored = read_baselines(out)
    if stored is None:
        return False
    recorded = json.loads((Path(out) / "baselines.json").read_text()).get("settings")
    if recorded is None:
        return all(str(w) in stored and len(stored[str(w)]["grey"]["MAE"]) == settings["n"]
                   for w in settings["patterns"])
    return not settings_differences(recorded, settings, keys=("faces", "n", "patterns", "seed"))


BATCH_NAME = re.compile(r"pattern(\d+)_batch(\d{3})\.json")


def batch_files(out) -> list[Path]:
    """The finished batch files of a run, sorted. Only names :func:`batch_file` writes count: a
    hidden temporary file left by a kill during a write (``.pattern1_batch000-….json``) is not a result."""
    folder = Path(out) / "batches"
    return sorted(p for p in folder.glob("pattern*_batch*.json") if BATCH_NAME.fullmatch(p.name))


def read_batch(path: Path) -> dict:
    """One batch file, checked; a damaged one is named with what to do about it."""
    try:
        batch = json.loads(Path(path).read_text())
        count = len(batch["indices"])
        if len(batch["names"]) != count or not isinstance(batch["pattern"], int):
            raise InputError("names and indices differ in length")
        if not all(isinstance(index, int) and not isinstance(index, bool) for index in batch["indices"]):
            raise InputError("its indices are not face numbers")
        if not isinstance(batch.get("settings", {}), dict):
            raise InputError("its settings are not a record")
        for key, value in batch.items():
            if isinstance(value, list) and len(value) != count:
                raise InputError(f"{key} has {len(value)} values for {count} faces")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(f"batch file {path} is damaged ({error.__class__.__name__}: {error}); "
                         f"delete it and run the evaluation again to recompute that batch") from None
    return batch


def collect(out) -> dict:
    """Read every finished batch of a run: its per-image ``rows``, its compute time (``seconds``),
    each face's share of it (``face_seconds``, by (pattern, index): its batch's time over its faces)
    and whether every batch recorded its time (``timed``).

    A batch is merged only if the settings it carries agree with the folder's (and with the other
    batches') on every key of :data:`RUN_KEYS` both record, and if each face index names the same
    file in every batch: a batch made elsewhere with other steps, seed or faces is refused, named.
    """
    out = Path(out)
    paths = batch_files(out)
    batches = [read_batch(p) for p in paths]
    settings = read_settings(out) if (out / "settings.json").exists() else None
    _check_batches_agree(out, paths, batches, settings)
    rows = []
    for batch in batches:
        for k, index in enumerate(batch["indices"]):
            row = {"pattern": batch["pattern"], "index": index, "file": batch["names"][k]}
            row.update({key: value[k] for key, value in batch.items() if isinstance(value, list)
                        and key not in ("indices", "names")})
            rows.append(row)
    _faces_once(rows, str(out / "batches"))
    # A batch's compute time, shared equally by its faces: the time of any subset of the run's faces.
    timed = all(_is_seconds(b.get("seconds")) for b in batches)
    face_seconds = {(batch["pattern"], index): batch["seconds"] / len(batch["indices"])
                    for batch in batches if _is_seconds(batch.get("seconds")) for index in batch["indices"]}
    return {"rows": rows, "seconds": sum(b["seconds"] for b in batches if _is_seconds(b.get("seconds"))),
            "face_seconds": face_seconds, "timed": timed}


def _is_seconds(value) -> bool:
    """A compute time a batch recorded: a finite number of seconds, at least 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return 0 <= float(value) < float("inf")
    except OverflowError:  # an integer beyond any float
        return False


def _check_batches_agree(out: Path, paths, batches, settings: dict | None) -> None:
    reference = dict(settings or {})
    for path, batch in zip(paths, batches):
        recorded = batch.get("settings")
        if recorded is None:
            if settings is not None and settings["schema"] >= SCHEMA:
                raise InputError(f"batch file {path} carries no settings (an older version of the kit wrote it), so "
                                 f"it cannot be checked against {out / 'settings.json'}: move it out of "
                                 f"{out / 'batches'} and run the evaluation again to recompute it")
            continue
        # A batch of a smaller run this one grew from differs only in n and faces (the run's, not the batch's).
        keys = RUN_KEYS_BUT_SIZE if grown_from(settings, recorded) else RUN_KEYS
        differ = settings_differences(reference, recorded, keys)
        if differ:
            raise InputError(f"batch file {path} was made with other settings than the run in {out} "
                             f"({'; '.join(differ)}): it cannot be merged; move it out of {out / 'batches'}")
        reference.update({k: v for k, v in recorded.items() if k in keys and k not in reference})
    files: dict[int, tuple[str, Path]] = {}
    for path, batch in zip(paths, batches):
        for index, name in zip(batch["indices"], batch["names"]):
            if settings is not None and not 0 <= index < settings["n"]:
                raise InputError(f"batch file {path} holds face {index}, outside the {settings['n']} faces of the run "
                                 f"in {out}: it cannot be merged; move it out of {out / 'batches'}")
            first = files.setdefault(index, (name, path))
            if first[0] != name:
                raise InputError(f"face {index} is {first[0]} in {first[1].name} but {name} in {path.name}: the "
                                 f"batches of {out} come from different faces (another --data or --partition)")


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
    return interval_cell(bootstrap_ci([r[f"{first}_{region}_{name}"] for r in rows],
                                      [r[f"{second}_{region}_{name}"] for r in rows]), DELTA_FORMATS[name])


def interval_cell(mean_low_high, spec: str = "+.2f") -> str:
    """A mean with its interval, as the tables print it: ``-0.23 [-0.29, -0.17]``."""
    mean, low, high = mean_low_high
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


def effect_sizes(rows, metric: str = "MAE") -> dict[int, dict[str, tuple[float, float]]]:
    """Per pattern, ``metric`` before and after refinement (means over the faces) in the kit's
    run (``"ours"``) and in the paper's Table 1 (``"paper"``). Absolute values cannot be compared
    (the paper's images fail the hole-only check), so read the relative change
    (after − before) / before of each."""
    column = METRICS.index(metric)
    sizes = {}
    for which, sub in by_pattern(rows).items():
        before, after = _stage_means(sub, "before", "image"), _stage_means(sub, "after", "image")
        paper = PAPER_TABLE1[which]
        sizes[which] = {"ours": (before[metric], after[metric]), "paper": (paper[0][column], paper[1][column])}
    return sizes


def relative_change(before_after: tuple[float, float]) -> float:
    """(after − before) / before, in %."""
    before, after = before_after
    return 100 * (after - before) / before


def effect_size_summary(sizes: dict, patterns=(1, 2, 3, 4, 5), metric: str = "MAE") -> str:
    """One sentence from :func:`effect_sizes`: the range of the relative and absolute changes of
    ours and of the paper's over ``patterns``, and how large ours is as a share of the paper's."""
    present = [p for p in patterns if p in sizes]
    if not present:
        return "(no rows for these patterns yet)"

    def span(key: str) -> str:
        rel = sorted(relative_change(sizes[p][key]) for p in present)
        diff = sorted(sizes[p][key][1] - sizes[p][key][0] for p in present)
        return f"{rel[0]:+.1f} to {rel[-1]:+.1f} % ({diff[0]:+.2f} to {diff[-1]:+.2f})"

    share = sorted(relative_change(sizes[p]["ours"]) / relative_change(sizes[p]["paper"]) for p in present)
    scale = sorted(sizes[p]["paper"][0] / sizes[p]["ours"][0] for p in present)
    where = f"({present[0]})–({present[-1]})" if len(present) > 1 else f"({present[0]})"
    return (f"patterns {where}: refinement changes our {metric} by {span('ours')}, the paper's by "
            f"{span('paper')}; ours is {share[0]:.2f}–{share[-1]:.2f} of the paper's relative change, "
            f"and the paper's {metric} before refinement is {scale[0]:.1f}–{scale[-1]:.1f}× ours")


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
        # Every column any row has, in order of first appearance: Table 2's inpaint3000_* columns
        # exist only on the centre pattern's rows, which need not come first.
        columns = list(dict.fromkeys(key for row in rows for key in row))
        writer = csv.DictWriter(buffer, fieldnames=columns, restval="")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    return buffer.getvalue()


def write_reports(out, beside=None) -> dict:
    """Write per_image.csv, table1.md, table2.md beside the batches; return the collected run.
    ``beside``: the folder of a run at a cheaper budget on the same faces, whose price goes into
    summary.md (:func:`budget_price_markdown`). Everything is read and checked before the first
    file is written: a refused ``beside`` leaves every report as it was."""
    out = Path(out)
    run = collect(out)
    rows = run["rows"]
    settings = read_settings(out)
    baselines = read_baselines(out)
    stale = baselines is not None and not baselines_match(out, settings)
    cheaper = _cheaper_run(out, run, settings, Path(beside)) if beside is not None else None
    summary = summary_markdown(rows, settings, run["seconds"], None if stale else baselines, cheaper)
    atomic_write_text(out / "per_image.csv", rows_csv(rows))
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
    if stale:
        print(f"note: {out / 'baselines.json'} was computed on other faces or settings than this run: "
              "left out of the tables (run `evaluate --report-only` where the run's faces are to recompute it)")
    elif baselines is not None:
        atomic_write_text(out / "baselines.md", "# Fills without a generator (whole image, MAE / PSNR)\n\n" +
                          "\n".join(f"- {text}" for text in BASELINES.values()) + "\n\n" +
                          baselines_markdown(baselines, rows) + "\n")
    atomic_write_text(out / "shortcomings.md", "# The §1.4 measures, before → after refinement\n\n" + note +
                      shortcomings_markdown(rows) + "\n")
    atomic_write_text(out / "summary.md", summary)
    return run


def _faces_by_count(settings: dict) -> dict[int, str | None]:
    """The sha256 of a run's first n faces for every n it records: its own and those it grew from."""
    return {settings["n"]: settings.get("faces"), **{size["n"]: size["faces"] for size in settings.get(GROWN_FROM, [])}}


# What must be equal for a price to compare the same holes and starts through the same generator.
_SAME_FOR_A_PRICE = ("partition", "seed", "weights", "precision", "refine_init")


def check_beside(out, beside) -> None:
    """Refuse a ``beside`` run whose price :func:`write_reports` could not write (other faces,
    seed, generator, …), before anything else of a report is computed or written."""
    out = Path(out)
    run, settings = collect(out), read_settings(out)
    other_rows = _cheaper_run(out, run, settings, Path(beside), quiet=True)[0]
    budget_price(run["rows"], other_rows)


def _cheaper_run(out: Path, run: dict, settings: dict, beside: Path, quiet: bool = False) -> tuple:
    """The run in ``beside`` for :func:`summary_markdown`'s price: (rows, settings, its compute time,
    this run's compute time on the same faces); a time is None when a batch did not record it."""
    other = collect(beside)
    other_settings = read_settings(beside)
    # The same holes and starting z need the same seed, and the same generator and precision.
    differ = settings_differences(settings, other_settings, keys=_SAME_FOR_A_PRICE)
    if differ:
        raise InputError(f"{beside} holds a run with other {', '.join(d.split(':')[0] for d in differ)} than {out} "
                         f"({'; '.join(differ)}): its price would compare other holes, starts or generators")
    # Where both record the pixels of the same number of first faces, they must be the same faces
    # (names alone pass the same file names from another folder).
    ours, theirs = _faces_by_count(settings), _faces_by_count(other_settings)
    shared = [n for n in sorted(set(ours) & set(theirs)) if ours[n] and theirs[n]]
    for n in shared:
        if ours[n] != theirs[n]:
            raise InputError(f"{beside} holds a run on other faces than {out} (the sha256 of their first {n} faces "
                             "differ): its price would compare different faces")
    if not shared and not quiet:
        print(f"note: {out} and {beside} record the pixels of no common number of first faces: their faces are "
              "matched by file name only")
    same_faces = None
    if run["timed"] and other["timed"]:
        same_faces = sum(run["face_seconds"].get((r["pattern"], r["index"]), 0.0) for r in other["rows"])
    return other["rows"], other_settings, other["seconds"] if other["timed"] else None, same_faces


# The direction in which each metric improves: MAE and MSE fall, PSNR and MSSIM rise.
IMPROVES = {"MAE": -1, "MSE": -1, "PSNR": 1, "MSSIM": 1}


def _improves_surely(rows, name: str) -> bool:
    """Whether refinement moves metric ``name`` the better way with a 95 % interval excluding zero."""
    _, low, high = bootstrap_ci([r[f"before_image_{name}"] for r in rows], [r[f"after_image_{name}"] for r in rows])
    return IMPROVES[name] * low > 0 and IMPROVES[name] * high > 0


def _span(values, spec: str) -> str:
    low, high = min(values), max(values)
    return f"{low:{spec}}" if f"{low:{spec}}" == f"{high:{spec}}" else f"{low:{spec}}–{high:{spec}}"


def findings_markdown(rows, baselines: dict | None = None) -> str:
    """The numbers the README's discussion rests on, computed from the run (so no sentence quotes
    a number by hand): which of refinement's changes on (1)–(5) have the paper's sign with an
    interval excluding zero, the consensus drop, pattern (6), Table 2's differences, the effect
    sizes beside the paper's, the hole-only check, and the fills without a generator."""
    groups = by_pattern(rows)
    changing = [w for w in (1, 2, 3, 4, 5) if w in groups]
    lines = []
    if changing:
        signed = sum(_improves_surely(groups[w], name) for w in changing for name in IMPROVES)
        lines.append(f"- Refinement on {_patterns(changing)}: {signed} of {4 * len(changing)} changes (MAE, MSE, "
                     "PSNR, MSSIM per pattern) go the paper's way with a 95 % interval that excludes zero.")
        drop = [100 * (1 - np.mean([r["after_consensus"] for r in groups[w]])
                       / np.mean([r["before_consensus"] for r in groups[w]])) for w in changing]
        lines.append(f"- The consensus |G(z) − y| on known pixels drops by {_span(drop, '.0f')} % on "
                     f"{_patterns(changing)} (the global consensus at work).")
        lines.append(f"- Effect sizes, MAE: {effect_size_summary(effect_sizes(rows), changing)}.")
    if 6 in groups:
        lines.append(f"- Pattern (6): ΔMAE {_delta_cell(groups[6], 'before', 'after', 'MAE')}, "
                     f"ΔMSSIM {_delta_cell(groups[6], 'before', 'after', 'MSSIM')}.")
    centre = _table2_rows(rows)
    if centre:
        lines.append("- Table 2, ΔMAE with 95 % intervals: 3000 − 1500 inpainting steps "
                     f"{_delta_cell(centre, 'before', 'inpaint3000', 'MAE')}; 1500 + refinement − 1500 "
                     f"{_delta_cell(centre, 'before', 'after', 'MAE')}; 1500 + refinement − 3000 "
                     f"{_delta_cell(centre, 'inpaint3000', 'after', 'MAE')}.")
    if groups:
        ours = [hole_only_ratio(m["MAE"], m["MSE"], pattern(w).missing_fraction)
                for w, sub in groups.items() for m in (_stage_means(sub, s, "image") for s in ("before", "after"))]
        paper = [hole_only_ratio(m[0], m[1], pattern(w).missing_fraction)
                 for w in groups for m in PAPER_TABLE1[w]]
        lines.append(f"- Hole-only check MAE / √(f·MSE), at most 1 if all error lies in the hole (each pattern, "
                     f"before and after): the paper {_span(paper, '.2f')}, ours {_span(ours, '.2f')}.")
    if baselines and groups:
        maes = baseline_maes(baselines, rows)
        beaten = [w for w, m in maes.items() if m["inpainted"] < min(m[name] for name in BASELINES)]
        lines.append(f"- The generator's fill beats every fill without a generator on {len(beaten)} of "
                     f"{len(maes)} patterns (whole-image MAE, before refinement).")
        if 1 in maes:
            lines.append(f"- A flat grey fill of our faces scores MAE {maes[1]['grey']:.2f} on (1), where the paper "
                         f"reports {PAPER_TABLE1[1][0][0]:g} for its method.")
        if 6 in maes:
            best = min(BASELINES, key=lambda name: maes[6][name])
            lines.append(f"- On (6) the best fill without a generator ({best}) scores MAE {maes[6][best]:.2f}, "
                         f"against {maes[6]['refined']:.2f} refined.")
    return "\n".join(lines) + "\n" if lines else ""


def _patterns(numbers) -> str:
    numbers = list(numbers)
    if numbers == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 1:
        return f"({numbers[0]})–({numbers[-1]})"
    return ", ".join(f"({n})" for n in numbers)


README_START = "<!-- results:start: copied from results/eval/summary.md -->"
README_END = "<!-- results:end -->"


def _faces_once(rows, which: str) -> dict:
    """(pattern, index) → row, refusing a face that appears twice (it would count twice)."""
    faces = {}
    for row in rows:
        key = (int(row["pattern"]), int(row["index"]))
        if key in faces:
            raise InputError(f"{which} holds face {key[1]} of pattern {key[0]} twice")
        faces[key] = row
    return faces


def budget_price(rows, other_rows) -> dict[int, dict[str, tuple[float, float]]]:
    """What a cheaper budget costs, face by face: the same faces, holes and starting z run at two
    budgets (``rows`` the reference, ``other_rows`` the cheaper one). Per pattern of ``other_rows``,
    the mean hole (``"missing"``) and whole-image (``"image"``) MAE after refinement under each,
    as (reference, cheaper), and the faces compared (``"n"``). A face of ``other_rows`` that the
    reference lacks (or holds under another file) is an error."""
    reference = _faces_once(rows, "the reference run")
    _faces_once(other_rows, "the cheaper run")
    if not other_rows:
        raise InputError("the cheaper run holds no faces: nothing to price")
    price = {}
    for which, sub in by_pattern(other_rows).items():
        pairs = []
        for row in sub:
            match = reference.get((which, int(row["index"])))
            if match is None or match["file"] != row["file"]:
                raise InputError(f"face {row['index']} of pattern {which} ({row['file']}) is not in the reference "
                                 "run: the two runs do not cover the same faces")
            pairs.append((match, row))
        price[which] = {region: (float(np.mean([a[f"after_{region}_MAE"] for a, _ in pairs])),
                                 float(np.mean([b[f"after_{region}_MAE"] for _, b in pairs])))
                        for region in ("missing", "image")}
        if not all(np.isfinite(v) and v > 0 for pair in (price[which]["missing"], price[which]["image"]) for v in pair):
            raise InputError(f"pattern {which}: an MAE after refinement is not a positive finite number")
        price[which]["n"] = len(pairs)
    return price


def budget_price_markdown(rows, other_rows, settings: dict, other_settings: dict) -> str:
    """:func:`budget_price` as a table: per pattern the hole and the whole-image MAE after refinement
    at the reference and the cheaper budget, and their relative change."""
    lines = ["| pattern | n | hole MAE: reference → cheaper | change | whole-image MAE: reference → cheaper | change |",
             "| --- | --- | --- | --- | --- | --- |"]
    for which, cost in budget_price(rows, other_rows).items():
        cells = []
        for region in ("missing", "image"):
            cells += [f"{cost[region][0]:.2f} → {cost[region][1]:.2f}", f"{relative_change(cost[region]):+.1f} %"]
        lines.append(f"| ({which}) {pattern(which).key} | {cost['n']} | " + " | ".join(cells) + " |")

    def budget(s: dict) -> str:
        return f"{s['steps']} + {s['refine_steps']} steps at Adam step {s.get('learning_rate', 0.003):g}"

    return (f"The same faces, holes and starting z at the reference budget ({budget(settings)}) and a cheaper one "
            f"({budget(other_settings)}); MAE after refinement, 0–255, mean over the faces:\n\n" + "\n".join(lines) + "\n")


def summary_markdown(rows, settings: dict, seconds: float, baselines: dict | None = None,
                     cheaper: tuple[list, dict, float, float] | None = None) -> str:
    """The README's block of results: run settings, Table 1 and Table 2 (whole image), the key
    numbers of :func:`findings_markdown`, and with ``cheaper`` (rows, settings and compute time
    of a run at a cheaper budget on some of the same faces, and this run's compute time on those
    faces) its price (:func:`budget_price_markdown`)."""
    counts = ", ".join(f"({w}) {len(sub)}" for w, sub in by_pattern(rows).items())
    findings = findings_markdown(rows, baselines)
    text = (f"Faces per pattern: {counts}; {settings['steps']} inpainting + {settings['refine_steps']} "
            f"refinement steps,\nthe paper's µ, refinement from a {settings['refine_init']} z, seed "
            f"{settings['seed']}; {seconds / 3600:.1f} h of compute on 2 CPU cores.\n\n"
            "**Table 1** (whole image, 0–255; Δ = after − before, mean and 95 % paired bootstrap interval):\n\n"
            f"{table1_markdown(rows)}\n\n**Table 2** (centre pattern):\n\n{table2_markdown(rows)}\n"
            + (f"\n**Key numbers** (computed from the same run):\n\n{findings}" if findings else ""))
    if cheaper is not None:
        other_rows, other_settings, other_seconds, same_faces_seconds = cheaper
        name = other_settings.get("budget")
        # A budget's name only while its steps are the budget's (and only a name the kit knows).
        named = BUDGETS[name]() if isinstance(name, str) and name in BUDGETS else None
        if named is None or (named.inpaint_steps, named.refine_steps, named.learning_rate) != (
                other_settings["steps"], other_settings["refine_steps"], other_settings.get("learning_rate")):
            name = f"{other_settings['steps']} + {other_settings['refine_steps']} steps"
        extra = (", which also ran Table 2's 3000-step inpainting" if settings.get("table2", True)
                 and not other_settings.get("table2", True) else "")
        times = ("compute time not recorded for every batch" if other_seconds is None or same_faces_seconds is None
                 else f"{other_seconds / 60:.0f} min of compute against {same_faces_seconds / 60:.0f} min for the "
                      f"same faces in the run above{extra}")
        text += (f"\n**The price of the {name} budget** ({times}):\n\n"
                 f"{budget_price_markdown(rows, other_rows, settings, other_settings)}")
    return text


def paste_summary(readme_text: str, summary: str) -> str:
    """Put `summary` between the README's results markers, replacing what was there."""
    return paste_block(readme_text, summary, README_START, README_END)


def _check_markers(text: str, start: str, end: str, where: str) -> None:
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise InputError(f"{where} lacks the markers {start!r} and {end!r} (once each, in that order)")


def paste_block(text: str, block: str, start: str, end: str, where: str = "the README") -> str:
    """Put ``block`` between the markers ``start`` and ``end`` of ``text`` (each exactly once),
    replacing what was there: how scripts write their figures into the README. ``where``: the
    file ``text`` came from, for the error."""
    _check_markers(text, start, end, where)
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{block}{end}{tail}"


def block_markers(name: str) -> tuple[str, str]:
    """The README markers of a benchmark's block: ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def read_block(text: str, name: str, where: str = "the README") -> str:
    """What ``text`` holds between the markers of block ``name`` (:func:`block_markers`)."""
    start, end = block_markers(name)
    _check_markers(text, start, end, where)
    return text.split(start, 1)[1].split(end, 1)[0]


def check_record_target(readme, name: str) -> None:
    """Fail now, before a long run, if ``readme`` cannot take the block of ``name``."""
    path = Path(readme)
    if not path.is_file():
        raise InputError(f"{path} is not a file: --record/--readme name an existing Markdown file with the "
                         f"markers of the {name} block")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read {path}: {error}") from None
    paste_block(text, "", *block_markers(name), where=str(readme))


def record_block(readme, name: str, text: str) -> None:
    """Write a benchmark's printed ``text`` between its markers in ``readme`` (atomically): the
    README's benchmark figures are the scripts' own output (``--record``), never copied by hand."""
    readme = Path(readme)
    atomic_write_text(readme, paste_block(readme.read_text(), text, *block_markers(name), where=str(readme)))


def load_results(out) -> dict:
    """An evaluation run's folder (rows, settings, tables), or an empty run if none exists there yet
    (the repository's committed run is ``results/eval``)."""
    out = Path(out)
    if not (out / "settings.json").exists():
        return {"rows": [], "settings": None, "table1": "", "table2": "", "shortcomings": "", "baselines": "",
                "baseline_metrics": {}}
    run = collect(out)
    run["settings"] = read_settings(out)
    run["baseline_metrics"] = (read_baselines(out) or {}) if baselines_match(out, run["settings"]) else {}
    for name in ("table1", "table2", "shortcomings", "baselines"):
        run[name] = (out / f"{name}.md").read_text() if (out / f"{name}.md").exists() else ""
    return run

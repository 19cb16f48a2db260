"""Recipe A/B runs for the generator (issue 12): one change at a time against today's recipe,
at equal updates and seed, each judged by the held-out fit on tuning faces (validation faces
100 onward; the evaluation reports faces 0–99 only).

    python scripts/train_recipes.py --data $INPAINTKIT_DATA [--arms today,flip,full_size] [--steps 2000]
    python scripts/train_recipes.py --report        # the table from the runs finished so far
    python scripts/train_recipes.py --report --record inpaintkit/weights/MODEL_CARD.md
    python scripts/train_recipes.py --long flip --record inpaintkit/weights/MODEL_CARD.md   # the long run so far
    python scripts/train_recipes.py --long flip --branch probe,g2 --record ...   # and its branches
    python scripts/train_recipes.py --long flip_shipped_smooth --beside flip_shipped --record ...  # two runs, equal updates

``--record`` writes the long run of ARM between the card's ``long_run_ARM`` markers, and refuses
(leaving the card as it is) when a run it would report has no record on this machine.

Each arm is an ordinary resumable ``python -m inpaintkit train`` run under the cache folder
(``$INPAINTKIT_CACHE/runs/recipe-NAME``), so an interrupted queue continues where it stopped.
Every arm also keeps an EMA of G's weights, so "EMA vs raw G" is measured inside each run.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from inpaintkit import config
from inpaintkit.dcgan import RECIPE_CHOICES, TrainConfig, recipe_flags, recipe_words
from inpaintkit.reports import check_record_target, record_block

ARMS = {  # name: the settings it changes against today's recipe (TrainConfig's defaults)
    "today": {},
    "flip": {"flip": True},
    "full_size": {"dataset": ":full-size"},
    "bf16": {"precision": "mixed_bfloat16"},
    "g2": {"g_steps": 2},
    "augment": {"augment": True},
    # The long run again, from the shipped weights: what the issue asks for when a run's checkpoints
    # are gone (the cache folder is per machine, and the first long run's went with its machine).
    "flip_shipped": {"flip": True, "init": "shipped"},
    # A lever against D's growing lead (model card), measured from the same start at equal updates.
    "flip_shipped_smooth": {"flip": True, "init": "shipped", "label_smoothing": 0.1},
    # D at half G's rate, branched (--branch-from) from flip_shipped's checkpoint at 2,000 updates.
    "flip_shipped_dlr": {"flip": True, "init": "shipped", "d_lr_ratio": 0.5},
    # The R1 penalty on D, branched from flip_shipped's checkpoint at 8,000 updates. γ = 0.001: there
    # E‖∇D(x)‖² was about 8,500 on train faces, so the penalty starts near 4, about 10× D's loss.
    "flip_shipped_r1": {"flip": True, "init": "shipped", "r1_gamma": 0.001},
    # Late training on the full-size faces only, branched from flip_shipped's checkpoint at 8,000
    # updates: the validation faces are all full-size, 10,000 of the train faces are upsampled 54 → 64.
    "flip_shipped_full": {"flip": True, "init": "shipped", "dataset": ":full-size"},
}


def change(name: str) -> str:
    """What an arm changes, in the kit's words for its recipe choices (dcgan.RECIPE_CHOICES)."""
    return ("today's recipe (fp32, no flips, all 14,283 train faces)" if not ARMS[name]
            else "+ " + ", ".join(recipe_words(ARMS[name])))


COMMON = ["--epochs", "40", "--seed", "0", "--tuning", "128", "--tune-every", "1000", "--tune-steps", "200"]


def run_dir(name: str) -> Path:
    return config.cache_dir() / "runs" / f"recipe-{name}"


def run_arm(name: str, data: str, steps: int) -> None:
    out = run_dir(name)
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "inpaintkit", "train", "--data", data, "--out", str(out),
               "--max-steps", str(steps), "--resume", *COMMON, *" ".join(recipe_flags(ARMS[name])).split()]
    print(" ".join(command), flush=True)
    with open(out / "train.log", "a") as log:
        subprocess.run(command, check=True, stdout=log, stderr=subprocess.STDOUT)


def missing_records(names) -> list[Path]:
    """The runs among ``names`` whose record (tuning.json) is not on this machine: a table written
    without them would empty the card's record of runs that did happen elsewhere."""
    return [run_dir(name) / "tuning.json" for name in names if not (run_dir(name) / "tuning.json").exists()]


def recorded_updates(card: Path, block: str) -> set[int]:
    """The updates of the rows already in ``card``'s block (first cell of each table row, e.g. ``| 4,000 |``)."""
    from inpaintkit.reports import read_block

    first_cells = (row.split("|")[1].strip().replace(",", "") for row in
                   read_block(card.read_text(), block, where=str(card)).splitlines() if row.startswith("| "))
    return {int(cell) for cell in first_cells if cell.isdigit()}


def report(names) -> dict[str, dict[int, dict]]:
    """Each arm's tuning fits so far: {arm: {step: row of tuning.json}}."""
    rows = {}
    for name in names:
        log_file = run_dir(name) / "tuning.json"
        if log_file.exists():
            rows[name] = {row["step"]: row for row in json.loads(log_file.read_text())}
    return rows


def versus(new: float, old: float) -> str:
    """How ``new`` compares with ``old`` in the tables: the relative change in per cent, signed."""
    return f"{100 * (new / old - 1):+.1f} %"


def best_fit(row: dict) -> float:
    """The better tuning fit of a tuning.json row: the raw G's or its EMA copy's."""
    return min(row["mse_raw"], row["mse_ema"])


def table(rows: dict[str, dict[int, dict]], steps: int) -> str:
    """The A/B table: tuning fit MSE (0–255) of G and of its EMA at half and all the updates, and
    the best of each arm against today's recipe at ``steps``."""
    half = steps // 2
    lines = [f"| arm | change | G at {half:,} | EMA G at {half:,} | G at {steps:,} | EMA G at {steps:,} | best vs today |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    base = rows.get("today", {}).get(steps)
    for name, fits in rows.items():
        cells = [f"{fits[s][k]:,.0f}" if s in fits else "–" for s in (half, steps) for k in ("mse_raw", "mse_ema")]
        gap = (versus(best_fit(fits[steps]), best_fit(base))
               if base and steps in fits and name != "today" else "–")
        lines.append(f"| {name} | {change(name)} | " + " | ".join(cells) + f" | {gap} |")
    return "\n".join(lines) + "\n"


def tuning_fit(folder: Path, data: str, steps: int = 200, faces: int = 128) -> dict[int, float]:
    """Mean MSE (0–255) of the generator in ``folder`` fitted to the tuning faces under the runs'
    protocol (``dcgan.heldout_fit``, seed 0), after 200 steps and after ``steps``: one fit, since
    Adam's path does not depend on the budget. Measured once per generator (by its sha256) and kept
    in the cache beside the runs."""
    from inpaintkit import dcgan
    from inpaintkit.data import tuning_faces
    from inpaintkit.storage import atomic_write_text

    cached = config.cache_dir() / "runs" / f"tuning-fit-{dcgan.generator_sha256(folder)[:16]}-{faces}x{steps}.json"
    if not cached.exists():
        G, D = dcgan.load_weights(folder)
        fit = dcgan.heldout_fit(G, D, tuning_faces(data, faces), steps=steps, seed=0,
                                report_at=(200,) if steps > 200 else ())["mean_mse_at"]
        atomic_write_text(cached, json.dumps({"faces": faces, "steps": steps, "mse_at": fit}))
    return {int(n): mse for n, mse in json.loads(cached.read_text())["mse_at"].items()}


def shipped_reference(data: str, faces: int = 128, steps: int = 200) -> float:
    """The shipped G's tuning fit under the runs' protocol, the mark a long run has to beat."""
    from inpaintkit import dcgan

    return tuning_fit(dcgan.WEIGHTS_DIR, data, steps, faces)[steps]


def confirm_table(fits: dict[str, dict[int, float]], chosen: dict[str, str], steps: int) -> str:
    """The best generators of the runs (``best/``, chosen by the 200-step fit) and the shipped G
    fitted to the same tuning faces for ``steps``, the budget of the card's shipping criterion."""
    shipped = fits["shipped G"][steps]
    lines = [f"The shipping criterion is a {steps}-step fit, which the cheaper 200-step tuning fit only "
             f"tracks; the best generator of each run and the shipped G fitted to the same 128 tuning faces "
             f"for {steps} steps (written by `--confirm {steps}`):", "",
             f"| generator | 200-step fit | {steps}-step fit | {steps}-step vs shipped G |", "| --- | --- | --- | --- |"]
    for name, fit in fits.items():
        gap = "–" if name == "shipped G" else versus(fit[steps], shipped)
        lines.append(f"| {name}{chosen.get(name, '')} | {fit[200]:,.0f} | {fit[steps]:,.0f} | {gap} |")
    return "\n".join(lines) + "\n"


def long_table(name: str, fits: dict[int, dict], reference: float, shipped_steps: int | None = None,
               beside: tuple[str, dict[int, dict]] | None = None, settings: dict | None = None) -> str:
    """The long run so far: tuning fit of G and its EMA at every measured step, and the best of
    them against the shipped G under the same fit. ``shipped_steps``: for a run that started from
    the shipped weights, the updates those weights had already had (the table counts the run's own).
    ``beside``: (name, fits) of another run from the same start, whose best fit at the same updates
    each row is also compared with (a recipe A/B at equal updates). ``settings``: the run's
    train_config.json, which says whether it is a ``--branch-from`` run and what it changed."""
    counted = (f" Updates are the run's own, after the {shipped_steps:,} that the shipped weights had already had."
               if shipped_steps else "")
    if settings and settings.get("branched_from"):
        start = int(settings["branched_from"]["step"])
        counted += (f" It is a `--branch-from` run: its first {start:,} updates are those of the run it branched "
                    f"from, and from there it trains with {' and '.join(branch_changes(settings))}.")
    other, other_fits = beside or ("", {})
    extra = [f"`recipe-{other}`: best", f"vs `recipe-{other}`"] if beside else []
    lines = [f"`recipe-{name}` ({change(name)}); the shipped G fits the same faces with {reference:,.0f} "
             f"under the same 200-step fit.{counted}", "",
             "| " + " | ".join(["updates", "G", "EMA G", "best vs shipped G", *extra]) + " |",
             "| " + " | ".join(["---"] * (4 + len(extra))) + " |"]
    for step, row in sorted(fits.items()):
        cells = [f"{step:,}", f"{row['mse_raw']:,.0f}", f"{row['mse_ema']:,.0f}",
                 versus(best_fit(row), reference)]
        if beside:
            same = other_fits.get(step)
            cells += ([f"{best_fit(same):,.0f}", versus(best_fit(row), best_fit(same))]
                      if same else ["–", "–"])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# Schedule and devices; train_images follows from the dataset, which is named in its own words.
NOT_RECIPE = {"branched_from", "epochs", "strategy", "checkpoint_every", "keep_checkpoints", "train_images"}


def branch_changes(settings: dict) -> list[str]:
    """What a ``--branch-from`` run changed, read by comparing its settings with those of the run
    it left (recorded in ``branched_from``; the defaults where a setting was not recorded)."""
    source = {**asdict(TrainConfig()), **settings["branched_from"].get("settings", {})}
    changed = {key: value for key, value in settings.items() if key not in NOT_RECIPE and value != source.get(key)}
    # the kit's words for its recipe choices (dcgan.RECIPE_CHOICES), every other setting named as it is
    known = {key: value for key, value in changed.items() if key in RECIPE_CHOICES}
    return [*recipe_words(known, every=True, flags=True),
            *(f"{key} {source.get(key)!r} → {value!r}" for key, value in changed.items() if key not in known)]


def branch_heading(settings: dict) -> tuple[int, str, str]:
    """Where a branch of the long run starts, the sentence that says what it changed, and the
    short name of its columns. A branch is either a copy of the run's folder resumed with
    ``--lr-decay-start`` (a decay tail), or a new run made with ``--branch-from`` under another
    recipe (e.g. ``--g-steps 2``)."""
    if settings.get("branched_from"):
        start = int(settings["branched_from"]["step"])
        change = " and ".join(branch_changes(settings)) or "the same recipe"
        return start, (f"Branch with {change}: a new run from the run's checkpoint at update {start:,} "
                       "(`--branch-from`), against the constant run at the same updates (an update is one "
                       "D update and its G update(s)):"), "branch"
    if settings.get("lr_decay_start"):
        start = int(settings["lr_decay_start"])
        end = settings["epochs"] * (settings["train_images"] // settings["batch_size"])
        return start, (f"Branch with a learning-rate decay: a copy of the run at update {start:,}, resumed with "
                       f"`--epochs {settings['epochs']} --lr-decay-start {start}` (both Adam rates fall linearly "
                       f"from update {start:,} to 0 at update {end:,}), against the constant run at the same "
                       "updates:"), "decay"
    raise ValueError("not a branch: its train_config.json has neither branched_from nor lr_decay_start")


def branch_table(constant: dict[int, dict], branch: dict[int, dict], reference: float, settings: dict) -> str:
    """A branch of the long run (:func:`branch_heading`): its tuning fits after the branch point
    beside the constant run's at the same updates. ``settings``: the branch's train_config.json."""
    start, heading, name = branch_heading(settings)
    lines = [heading, "",
             f"| updates | constant: best | {name}: G | {name}: EMA G | {name} vs constant | {name} vs shipped G |",
             "| --- | --- | --- | --- | --- | --- |"]
    for step, row in sorted(branch.items()):
        if step <= start:
            continue  # the rows a copy inherited from the constant run
        same = constant.get(step)
        lines.append(f"| {step:,} | {f'{best_fit(same):,.0f}' if same else '–'} | {row['mse_raw']:,.0f} | "
                     f"{row['mse_ema']:,.0f} | {versus(best_fit(row), best_fit(same)) if same else '–'} | "
                     f"{versus(best_fit(row), reference)} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(config.data_dir()))
    parser.add_argument("--arms", default="today,flip,full_size")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--long", default=None, metavar="ARM",
                        help="report the long run of this arm (every tuning fit) instead of the A/B table")
    parser.add_argument("--branch", default=None, metavar="SUFFIX[,SUFFIX]",
                        help="with --long: also report the branches recipe-ARM-SUFFIX (e.g. probe,g2): copies "
                             "of the long run resumed with --lr-decay-start, or runs made with --branch-from")
    parser.add_argument("--beside", default=None, metavar="ARM",
                        help="with --long: put this arm's long run beside it at equal updates (same start)")
    parser.add_argument("--confirm", type=int, default=0, metavar="STEPS",
                        help="with --long: also fit the best generator of the run and of each branch, and the "
                             "shipped G, to the tuning faces for STEPS steps (the shipping criterion's 500)")
    parser.add_argument("--record", type=Path, default=None, metavar="CARD",
                        help="write the table between the recipe_ab (or, with --long ARM, long_run_ARM) markers of this "
                             "model card")
    args = parser.parse_args()
    names = [n.strip() for n in args.arms.split(",")]
    unknown = [n for n in names if n not in ARMS]
    if unknown:
        parser.error(f"unknown arm(s) {unknown}: choose from {', '.join(ARMS)}")
    block = f"long_run_{args.long}" if args.long else "recipe_ab"
    for arm in filter(None, (args.long, args.beside)):
        if arm not in ARMS:
            parser.error(f"unknown arm {arm!r}: choose from {', '.join(ARMS)}")
    if args.beside and not args.long:
        parser.error("--beside needs --long")
    if args.record is not None:
        check_record_target(args.record, block)
    branches = [f"{args.long}-{suffix.strip()}" for suffix in filter(None, (args.branch or "").split(","))]
    reported = ([args.long, *branches, *filter(None, [args.beside])] if args.long
                else names if args.report else [])
    gone = missing_records(reported)
    if gone:
        parser.error("no record of " + ", ".join(map(str, gone)) + ": those runs are not on this machine (the "
                     "cache folder is per machine), so nothing was written" + (f" to {args.record}" if args.record
                                                                            else ""))
    if args.long:
        from inpaintkit import dcgan

        fits = report([args.long]).get(args.long, {})
        if args.record is not None:
            # A rerun of the run on another machine has fewer fits than the card: writing would drop rows.
            dropped = sorted(recorded_updates(args.record, block) - set(fits))
            if dropped:
                parser.error(f"{args.record} records {args.long} at updates {', '.join(f'{n:,}' for n in dropped)}, which "
                             f"{run_dir(args.long) / 'tuning.json'} lacks (a run on another machine?), so nothing was written")
        reference = shipped_reference(args.data)
        shipped_steps = dcgan.read_manifest()["steps"] if ARMS[args.long].get("init") == "shipped" else None
        beside = (args.beside, report([args.beside])[args.beside]) if args.beside else None
        config_file = run_dir(args.long) / "train_config.json"
        run_settings = json.loads(config_file.read_text()) if config_file.exists() else None
        text = long_table(args.long, fits, reference, shipped_steps, beside, run_settings)
        for branch in branches:
            settings = json.loads((run_dir(branch) / "train_config.json").read_text())
            if not (settings.get("lr_decay_start") or settings.get("branched_from")):
                parser.error(f"{run_dir(branch)} is not a branch (neither --lr-decay-start nor --branch-from)")
            text += f"\n`recipe-{branch}`. " + branch_table(fits, report([branch]).get(branch, {}), reference,
                                                           settings)
        if args.confirm:
            fits_at = {"shipped G": tuning_fit(dcgan.WEIGHTS_DIR, args.data, args.confirm)}
            chosen = {}
            for run in [args.long, *branches]:
                if (run_dir(run) / "best").exists():
                    meta = dcgan.read_manifest(run_dir(run) / "best")
                    which = "EMA G" if meta["generator"] == "ema" else "G"
                    fits_at[f"`recipe-{run}`"] = tuning_fit(run_dir(run) / "best", args.data, args.confirm)
                    chosen[f"`recipe-{run}`"] = f" ({which} at {meta['step']:,})"
            text += "\n" + confirm_table(fits_at, chosen, args.confirm)
        print(text)
        if args.record is not None:
            record_block(args.record, block, text)
        return
    if not args.report:
        for name in names:
            run_arm(name, args.data, args.steps)
    text = table(report(names), args.steps)
    print(text)
    if args.record is not None:
        record_block(args.record, "recipe_ab", text)


if __name__ == "__main__":
    main()

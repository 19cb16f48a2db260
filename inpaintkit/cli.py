"""Command line: ``python -m inpaintkit train|demo|inpaint|evaluate|figures ...`` (also the ``inpaintkit`` script).

The front of the kit: each command resolves its budget (``--budget``, else ``INPAINTKIT_BUDGET``)
and passes plain numbers to the package. Every flag is checked against its meaning before
anything is loaded or written (one line naming the flag); the output folder is checked writable
and locked for this one process (:func:`inpaintkit.storage.writer_lock`) before any long work.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from . import config
from .data import DataError, evaluation_partition, load_celeba, load_celeba_named, load_faces, tuning_faces
from .dcgan import check_precision
from .errors import InputError, check_count
from .evaluation import check_batch_names, check_recorded_faces, evaluate, evaluate_baselines, parse_shard, shard_role
from .faces import default_mu, frame_photo, inpaint_own_faces, masks_for_faces, panel_figure
from .figures import PARTS as FIGURE_PARTS
from .figures import celeba_folder, make_all, record_weights
from .masks import make_mask, missing_fraction, parse_patterns, pattern
from .metrics import image_metrics
from .pipeline import fig8
from .reports import baselines_match, check_beside, paste_summary, read_settings, write_reports
from .storage import atomic_path, atomic_write_text, check_writable, describe_os_error, writer_lock
from .training import NEED_BYTES as TRAIN_NEEDS
from .training import TrainConfig, TrainingDiverged, train
from .weights_io import WeightsError, load_pretrained, load_weights, weights_fingerprint

__all__ = ["EVALUATE_DEFAULTS", "build_parser", "is_user_error", "main", "train_settings"]

SEED_LIMIT = 2 ** 32  # NumPy, TensorFlow and Keras all take seeds in [0, 2³²)


# ----------------------------------------------------------------------------- flags checked by meaning
def _seed(flag: str, value) -> int:
    """A seed: a whole number in [0, 2³²)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < SEED_LIMIT:
        raise InputError(f"{flag} must be a whole number from 0 to {SEED_LIMIT - 1}, got {value!r}")
    return value


def _rate(flag: str, value) -> float:
    """A step size: a positive finite number."""
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise InputError(f"{flag} must be a positive finite number, got {value!r}")
    return float(value)


def _weight(flag: str, value) -> float:
    """A loss weight such as µ: a finite number ≥ 0."""
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise InputError(f"{flag} must be a finite number ≥ 0, got {value!r}")
    return float(value)


def _distinct_patterns(flag: str, text: str) -> list[int]:
    numbers = parse_patterns(text)
    if len(set(numbers)) != len(numbers):
        raise InputError(f"{flag} {text}: each pattern once, got {numbers}")
    return numbers


def _data_folder(args) -> Path:
    data = Path(args.data).expanduser() if args.data else config.data_dir()
    if data is None:
        raise DataError(f"no data folder: pass --data DIR or set {config.ENV_DATA}")
    return data


def _check_readme(path) -> Path:
    """A README that takes the results block (markers there, file writable): checked before a long run."""
    readme = Path(path)
    try:
        paste_summary(readme.read_text(), "")
    except FileNotFoundError:
        raise InputError(f"--readme {readme} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"--readme {readme} cannot be read: {error.__class__.__name__}") from None
    check_writable(readme.resolve().parent, what="folder of --readme")
    return readme


def _train(args) -> int:
    # Settings first: a wrong one is refused before any face is decoded or any file written.
    for flag, value in (("--epochs", args.epochs), ("--batch-size", args.batch_size)):
        check_count(flag, value)
    _seed("--seed", args.seed)
    _rate("--lr", args.lr)
    check_count("--tuning", args.tuning, minimum=0)
    if args.max_steps is not None:
        check_count("--max-steps", args.max_steps)
    data = _data_folder(args)
    settings = train_settings(args, data)
    out = Path(args.out)
    with writer_lock(out, args.command_line):
        check_writable(out, need_bytes=TRAIN_NEEDS)  # room for checkpoints, before the faces are decoded
        config.seed_everything(args.seed)
        images = load_celeba(data, "train")
        print(f"training on {len(images)} faces of the train partition of {data}")
        tuning = tuning_faces(data, args.tuning) if args.tuning else None
        result = train(images, out, settings, resume=args.resume, max_steps=args.max_steps, tuning_faces=tuning)
    print(f"stopped at step {result['step']} after {result['seconds']:.0f} s; checkpoints in "
          f"{out / 'checkpoints'}")
    return 0


def train_settings(args, data: str | Path) -> TrainConfig:
    """The :class:`~inpaintkit.training.TrainConfig` that ``train``'s flags ask for (``data``: the faces' folder)."""
    dataset = f"{Path(data).resolve()}:train:count=None"
    return TrainConfig(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr, seed=args.seed,
                       precision=args.precision, flip=args.flip, init=args.init, dataset=dataset,
                       strategy=args.strategy)


def _budget(args) -> config.Budget:
    """The budget a command runs at: ``--paper``, else ``--budget``, else ``INPAINTKIT_BUDGET``."""
    if getattr(args, "paper", False):
        if args.budget not in (None, "paper"):
            raise InputError(f"--paper and --budget {args.budget} disagree: give one of them")
        return config.budget("paper")
    return config.budget(args.budget) if args.budget else config.budget()


def _steps(args, budget: config.Budget) -> tuple[int, int]:
    """(inpainting, refinement) steps: ``--steps`` for both when given, else the budget's."""
    if args.steps is None:
        return budget.inpaint_steps, budget.refine_steps
    steps = check_count("--steps", args.steps)
    return steps, steps


def _demo(args) -> int:
    seed = _seed("--seed", args.seed)
    check_precision(args.precision)  # before anything is loaded or written
    budget = _budget(args)
    inpaint_steps, refine_steps = _steps(args, budget)
    numbers = parse_patterns(args.patterns)
    if args.count is not None:
        check_count("--count", args.count)
    if args.out is not None:
        out = Path(args.out)
    elif config.data_dir() is not None:  # CelebA faces: never into the committed figures/
        out = Path("figures") / "celeba"
    else:
        out = Path("figures")
    with writer_lock(out, args.command_line):
        check_writable(out)
        if args.out is None and config.data_dir() is not None:
            celeba_folder("figures")
        config.seed_everything(seed)
        faces = load_faces("validation", args.count or len(numbers), progress=False)
        count = len(faces)
        which = [numbers[i % len(numbers)] for i in range(count)]
        rng = np.random.default_rng(seed)
        known = np.stack([make_mask(n, rng) for n in which])
        mu = np.array([pattern(n).mu for n in which], dtype=np.float32)
        print(f"inpainting {count} face(s), patterns {which}, {inpaint_steps} + {refine_steps} steps at Adam step "
              f"{budget.learning_rate:g} (budget {budget.name}; --paper for the paper's 1500 + 1500 at 0.003)")
        G, D = load_pretrained()
        result = fig8(faces, known, G, D, mu=mu, inpaint_steps=inpaint_steps, refine_steps=refine_steps,
                      learning_rate=budget.learning_rate, seed=seed, original=faces, precision=args.precision)
        target = out / "demo_pipeline.png"
        with atomic_path(target) as tmp:
            result.plot().savefig(tmp, dpi=120, bbox_inches="tight")
        record_weights(out, [target], G, D)
    print(f"figure written to {target}")
    metrics = result.metrics()
    print("\nwhole-image metrics (0-255), mean over the faces:")
    print(result.summary())
    print("\nper face:   pattern      MAE before -> after     PSNR before -> after")
    for i, n in enumerate(which):
        b, a = metrics["before"], metrics["after"]
        print(f"  face {i}: {pattern(n).key:>18}  {b['MAE'][i]:7.2f} -> {a['MAE'][i]:6.2f}"
              f"      {b['PSNR'][i]:6.2f} -> {a['PSNR'][i]:6.2f}")
    return 0


def _unique_stem(out: Path, stem: str, taken: set[str]) -> str:
    """``stem``, or ``stem-2``, ``stem-3``, … : never a name used in this run or already in ``out``."""
    name, number = stem, 1
    taken.add(Path(SUMMARY).stem)  # a photo named metrics.jpg must not write its record over the summary
    while name in taken or (out / f"{name}.png").exists() or (out / f"{name}.json").exists():
        number += 1
        name = f"{stem}-{number}"
    taken.add(name)
    return name


SUMMARY = "metrics.json"
PATH_FLAGS = {"out", "data", "readme", "beside", "mask", "weights", "run"}  # flags that name a file or folder


def _photo_records(out: Path) -> dict[str, dict]:
    """Every photo record in ``out`` (``NAME.json`` beside its ``NAME.png``): the summary is rebuilt
    from them, so a record written just before an interrupt is never missing from it."""
    records = {}
    for path in sorted(out.glob("*.json")):
        if path.name == SUMMARY:
            continue
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # not one of ours, or damaged: the summary keeps what it had
        if isinstance(record, dict) and record.get("panel") == f"{path.stem}.png" and "after" in record:
            records[path.stem] = record
    return records


def _read_summary(out: Path) -> dict:
    """metrics.json as it is on disk; a damaged one is kept aside (never overwritten) and rebuilt."""
    path = out / SUMMARY
    if not path.exists():
        return {}
    try:
        summary = json.loads(path.read_text())
        if isinstance(summary, dict):
            return summary
    except (OSError, ValueError):
        pass
    aside, number = out / f"{SUMMARY}.damaged", 1
    while aside.exists():  # never over an earlier damaged copy
        number += 1
        aside = out / f"{SUMMARY}.damaged-{number}"
    path.replace(aside)
    print(f"note: {path} was damaged; kept as {aside.name} and rebuilt from the photo records")
    return {}


def _merge_summary(out: Path, records: dict[str, dict]) -> None:
    """Merge ``records`` into metrics.json as it is on disk, written atomically."""
    summary = _read_summary(out)
    summary.update(records)
    atomic_write_text(out / SUMMARY, json.dumps(summary, indent=1, ensure_ascii=False) + "\n")


def _recover_records(out: Path) -> None:
    """Put back into metrics.json the photo records an interrupt kept out of it."""
    records = _photo_records(out)
    if not records:
        return
    summary = _read_summary(out)
    missing = {name: record for name, record in records.items() if name not in summary}
    if missing:
        print(f"note: {len(missing)} photo record(s) of {out} were missing from {SUMMARY} (written before an "
              "interrupt, or the summary was damaged); merged back in")
        _merge_summary(out, missing)


def _inpaint(args) -> int:
    """Frame each photo like CelebA, inpaint the hole (a mask file or a pattern), refine; one panel
    and one metrics JSON per photo, and every photo's metrics gathered in DIR/metrics.json."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seed = _seed("--seed", args.seed)
    check_precision(args.precision)  # before anything is loaded or written
    budget = _budget(args)
    inpaint_steps, refine_steps = _steps(args, budget)
    if (args.mask is None) == (args.pattern is None):
        raise InputError("give the hole as --mask MASK.png or --pattern N (one of them)")
    check_count("--batch-size", args.batch_size)
    if args.mu is not None:
        _weight("--mu", args.mu)
    if args.pattern is not None:
        pattern(args.pattern)  # an unknown pattern is named before any photo is framed
    out = Path(args.out)
    with writer_lock(out, args.command_line):
        check_writable(out)  # a read-only or full disk is named now, not after the optimisation
        return _inpaint_locked(args, out, seed, budget, inpaint_steps, refine_steps, plt)


def _inpaint_locked(args, out: Path, seed: int, budget, inpaint_steps: int, refine_steps: int, plt) -> int:
    config.seed_everything(seed)
    framed, problems = [], []
    for photo in args.photos:  # frame every photo before any work: a bad one stops the run early
        try:
            framed.append(frame_photo(Path(photo)))
        except ValueError as error:
            problems.append(str(error))
    if problems:
        raise InputError("; ".join(problems) + " (nothing was written)")
    for item in framed:
        for note in item.notes:
            print(f"note: {item.source}: {note}")
    if args.mask is not None:
        # 64×64 on the face, or the photo's size cut with each face's crop; never stretched.
        known, mask_notes = masks_for_faces(args.mask, framed)
        for note in mask_notes:
            print(f"note: {note}")
        hole = f"mask {args.mask}"
    else:
        # One mask from the seed for every photo: the same as the notebook's widget draws for that seed.
        known = np.repeat(make_mask(args.pattern, seed=args.seed)[None], len(framed), axis=0)
        hole = f"pattern ({pattern(args.pattern).number}) {pattern(args.pattern).name}"
    mu = args.mu if args.mu is not None else (pattern(args.pattern).mu if args.pattern is not None
                                              else default_mu(known))
    print(f"inpainting {len(framed)} photo(s), {hole} ({float(np.mean(missing_fraction(known))):.1%} missing), "
          f"µ {mu}, {inpaint_steps} + {refine_steps} steps at Adam step {budget.learning_rate:g} "
          f"(budget {budget.name}), seed {args.seed}")
    G, D = load_pretrained()
    weights = weights_fingerprint(G, D)
    taken: set[str] = set()
    summary_path = out / SUMMARY
    _recover_records(out)
    for start in range(0, len(framed), args.batch_size):
        batch = framed[start:start + args.batch_size]
        result = inpaint_own_faces(np.stack([f.face for f in batch]), known[start:start + len(batch)], G, D, mu=mu,
                                   steps=inpaint_steps, refine_steps=refine_steps, learning_rate=budget.learning_rate,
                                   seed=seed, precision=args.precision)
        before, after = (image_metrics(x, result.original) for x in (result.x_b, result.x))
        for i, item in enumerate(batch):
            name = _unique_stem(out, Path(item.source).stem, taken)
            figure = panel_figure(result, i, title=Path(item.source).name)
            with atomic_path(out / f"{name}.png") as tmp:
                figure.savefig(tmp, dpi=100, bbox_inches="tight", format="png")
            plt.close(figure)
            record = {"photo": str(item.source), "panel": f"{name}.png", "hole": hole,
                      "missing": round(float(missing_fraction(result.known[i])), 4), "mu": mu,
                      "steps": [inpaint_steps, refine_steps], "learning_rate": budget.learning_rate,
                      "budget": budget.name, "seed": seed, "precision": args.precision, "weights": weights,
                      "notes": item.notes,
                      "before": {k: float(v[i]) for k, v in before.items()},
                      "after": {k: float(v[i]) for k, v in after.items()}}
            atomic_write_text(out / f"{name}.json", json.dumps(record, indent=1, ensure_ascii=False) + "\n")
            _merge_summary(out, {name: record})
            b, a = record["before"], record["after"]
            print(f"{out / name}.png: MAE {b['MAE']:.2f} -> {a['MAE']:.2f}, PSNR {b['PSNR']:.2f} -> {a['PSNR']:.2f}, "
                  f"MSSIM {b['MSSIM']:.4f} -> {a['MSSIM']:.4f}")
    print(f"metrics of every photo in {summary_path}")
    return 0


# ----------------------------------------------------------------------------- evaluate
# evaluate's defaults; its flags default to None so that --report-only can tell a flag given
# (checked against the run's folder) from one left out (the folder decides).
EVALUATE_DEFAULTS = {"partition": "validation", "n": 100, "patterns": "1-6", "budget": "paper", "batch_size": 50,
                     "seed": 0, "precision": "float32"}


def _flag(args, name: str):
    value = getattr(args, name)
    return EVALUATE_DEFAULTS[name] if value is None else value


def _evaluate(args) -> int:
    if args.report_only:
        return _report_only(args)
    # Every argument is checked before anything is loaded or written.
    seed = _seed("--seed", _flag(args, "seed"))
    precision = check_precision(_flag(args, "precision"))
    budget = config.budget(_flag(args, "budget"))
    patterns = _distinct_patterns("--patterns", _flag(args, "patterns"))
    steps = budget.inpaint_steps if args.steps is None else args.steps
    refine_steps = (budget.refine_steps if args.steps is None else steps) if args.refine_steps is None \
        else args.refine_steps
    for flag, value in (("--steps", steps), ("--refine-steps", refine_steps),
                        ("--batch-size", _flag(args, "batch_size")), ("--n", _flag(args, "n"))):
        check_count(flag, value)
    shard = parse_shard(args.shard)
    partition = evaluation_partition(_flag(args, "partition"))
    data = _data_folder(args)
    out = Path(args.out)
    with writer_lock(out, args.command_line, role=shard_role(shard)):
        check_writable(out)
        if args.readme and not shard:
            _check_readme(args.readme)
        # The names come with the faces: a file that cannot be read is skipped in both.
        faces, names = load_celeba_named(data, partition, _flag(args, "n"))
        if len(faces) < _flag(args, "n"):
            print(f"note: the {partition} partition of {data} gives {len(faces)} faces, not the {_flag(args, 'n')} "
                  "asked for")
        G, D = load_weights(args.weights) if args.weights else load_pretrained()
        print(f"evaluating {len(faces)} {partition} faces from {data} -> {out}, {steps} + {refine_steps} "
              f"steps at Adam step {budget.learning_rate:g}" + (f" (shard {shard[0]} of {shard[1]})" if shard else ""))
        config.seed_everything(seed)
        evaluate(faces, names, G, D, out, patterns=patterns, steps=steps, refine_steps=refine_steps,
                 batch_size=_flag(args, "batch_size"), seed=seed, table2=not args.no_table2, shard=shard,
                 precision=precision, learning_rate=budget.learning_rate, data=data, partition=partition,
                 budget=budget.name, n_asked=_flag(args, "n"), grow=args.n is not None)
        if shard:
            print(f"shard {shard[0]}/{shard[1]} done; when every shard is, run again with --report-only")
            return 0
        return _tables(args, out, read_settings(out), faces)


def _report_only(args) -> int:
    """The tables of the batches finished so far, from the folder's own settings (never the flags':
    a flag given must agree with the folder, else it is refused, named)."""
    if args.shard:
        raise InputError("--report-only merges every shard's batches: give it without --shard")
    out = Path(args.out)
    if not (out / "settings.json").exists():
        raise InputError(f"{out} holds no evaluation run: run it without --report-only first")
    settings = read_settings(out)
    _refuse_other_flags(args, out, settings)
    with writer_lock(out, args.command_line):
        check_writable(out)
        if args.readme:
            _check_readme(args.readme)
        print(f"tables from the finished batches in {out} (no new batch is run)")
        return _tables(args, out, settings, _run_faces(args, out, settings))


def _refuse_other_flags(args, out: Path, settings: dict) -> None:
    """--report-only reports the run as it was made: a flag given that says otherwise is an error."""
    def differs(flag: str, given, recorded, key: str) -> None:
        if given != recorded:
            raise InputError(f"{flag} {given} differs from the run in {out} ({key} {recorded}): --report-only "
                             f"reports the run as it was made; drop {flag}")

    if args.n is not None and args.n not in (settings["n"], settings.get("n_asked")):
        differs("--n", args.n, settings.get("n_asked") or settings["n"], "n")
    if args.partition is not None and settings.get("partition"):
        differs("--partition", evaluation_partition(args.partition), settings["partition"], "partition")
    if args.patterns is not None:
        differs("--patterns", _distinct_patterns("--patterns", args.patterns), settings["patterns"], "patterns")
    for flag, given, key in (("--steps", args.steps, "steps"), ("--refine-steps", args.refine_steps, "refine_steps"),
                             ("--batch-size", args.batch_size, "batch_size"), ("--seed", args.seed, "seed"),
                             ("--precision", args.precision, "precision")):
        if given is not None:
            differs(flag, given, settings[key], key)
    if args.budget is not None:
        budget = config.budget(args.budget)
        for key, value in (("learning_rate", budget.learning_rate), ("steps", budget.inpaint_steps)):
            if value != settings[key] and not (key == "steps" and args.steps is not None):
                raise InputError(f"--budget {budget.name} ({key} {value:g}) differs from the run in {out} ({key} "
                                 f"{settings[key]:g}): --report-only reports the run as it was made; drop --budget")
    if args.no_table2 and settings.get("table2", True):
        differs("--no-table2", "(no Table 2 run)", True, "table2")
    if args.weights is not None:
        fingerprint = weights_fingerprint(*load_weights(args.weights))
        if fingerprint != settings.get("weights"):
            differs("--weights", args.weights, f"{str(settings.get('weights'))[:16]}…", "weights")


def _run_faces(args, out: Path, settings: dict):
    """The run's own faces, for its baselines when baselines.json does not match the run: from the
    folder the run recorded (or, for a run recorded before it did, from --data / $INPAINTKIT_DATA),
    checked against the run; None with a note when they cannot be found."""
    recorded = settings.get("data")
    if args.data and recorded and Path(recorded).is_dir() and Path(args.data).expanduser().resolve() != Path(recorded):
        raise InputError(f"--data {args.data} differs from the run in {out} (data {recorded}): --report-only "
                         "reads the run's faces from its own folder; drop --data")
    if baselines_match(out, settings):
        return None  # nothing to recompute: the faces are not needed
    data = Path(recorded) if recorded and Path(recorded).is_dir() else \
        Path(args.data).expanduser() if args.data else config.data_dir()
    # A run recorded before its partition was: the only one the command evaluated then (checked below).
    partition = settings.get("partition") or evaluation_partition(args.partition or EVALUATE_DEFAULTS["partition"])
    try:
        if data is None:
            raise DataError(f"the run does not record its data folder: pass --data DIR or set {config.ENV_DATA}")
        faces, names = load_celeba_named(data, partition, settings.get("n_asked") or settings["n"], progress=False)
        if len(faces) != settings["n"]:
            raise DataError(f"{data} gives {len(faces)} {partition} faces, the run had {settings['n']}")
        check_batch_names(out, names)
        check_recorded_faces(out, faces, settings)
    except InputError as error:
        print(f"note: the baselines cannot be recomputed ({error}); they are left out of the tables")
        return None
    return faces


def _tables(args, out: Path, settings: dict, faces) -> int:
    beside = getattr(args, "beside", None)
    if beside is not None:
        check_beside(out, beside)  # refused before the baselines are (re)written
    if faces is not None and not baselines_match(out, settings):
        evaluate_baselines(faces, out, patterns=settings["patterns"], seed=settings["seed"])
    run = write_reports(out, beside=beside)
    print(f"{len(run['rows'])} rows; tables in {out / 'table1.md'} and table2.md")
    print((out / "table1.md").read_text())
    if args.readme:
        readme = Path(args.readme)
        atomic_write_text(readme, paste_summary(readme.read_text(), (out / "summary.md").read_text()))
        print(f"results block of {readme} refreshed from {out / 'summary.md'}")
    return 0


def _figures(args) -> int:
    seed = _seed("--seed", args.seed)
    parts = FIGURE_PARTS if args.only is None else tuple(part.strip() for part in args.only.split(","))
    unknown = sorted(set(parts) - set(FIGURE_PARTS))
    if unknown:
        raise InputError(f"--only {args.only}: unknown figure part(s) {', '.join(unknown)}; choose from "
                         f"{', '.join(FIGURE_PARTS)}")
    steps, count = check_count("--steps", args.steps), check_count("--celeba-count", args.celeba_count)
    out = Path(args.out)
    with writer_lock(out, args.command_line):
        check_writable(out)
        config.seed_everything(seed)
        make_all(out, results=args.results, steps=steps, seed=seed, parts=parts, celeba_count=count)
    return 0


def _add_budget_flags(parser, steps_help: str) -> None:
    """``--budget``, ``--paper``, ``--steps`` and ``--precision`` of the commands that inpaint."""
    parser.add_argument("--budget", default=None, type=str.lower, choices=tuple(config.BUDGETS),
                        help="fast, lab or paper (default: $INPAINTKIT_BUDGET, else lab)")
    parser.add_argument("--paper", action="store_true", help="the paper's budget: 1500 + 1500 steps at 0.003")
    parser.add_argument("--steps", type=int, default=None, help=steps_help)
    parser.add_argument("--precision", default="float32",
                        help="float32 (default) or mixed_bfloat16: G and D's arithmetic "
                             "(slower on CPUs without bf16 units)")


class _Parser(argparse.ArgumentParser):
    """argparse with the kit's one-line errors: ``inpaintkit CMD: error: …`` and exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """Every command's flags (``main`` runs the one chosen)."""
    parser = _Parser(prog="inpaintkit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("train", help="train the DCGAN on CelebA's train partition (§3.2)")
    p.add_argument("--data", help="CelebA folder (default: $INPAINTKIT_DATA)")
    p.add_argument("--out", required=True, help="folder for checkpoints, logs and settings")
    p.add_argument("--epochs", type=int, default=25, help="passes over the train faces (§3.2: 25)")
    p.add_argument("--batch-size", type=int, default=64, help="§3.2: 64")
    p.add_argument("--lr", type=float, default=2e-4, help="Adam's rate (the paper prints 0.002; DCGAN uses 0.0002)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many updates (resume later)")
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    p.add_argument("--init", default="scratch", choices=("scratch", "shipped"),
                   help="start from random weights or from the shipped ones (the model card's second stage)")
    p.add_argument("--flip", action="store_true", help="mirror faces left-right at random (the shipped recipe)")
    p.add_argument("--tuning", type=int, default=0,
                   help="every 2,000 updates fit G and its average to this many tuning faces "
                        "(validation 100 onward) and keep the best in OUT/best/")
    p.add_argument("--precision", default="float32", help="float32, or mixed_bfloat16 on GPUs with bf16 units")
    p.add_argument("--strategy", default="none",
                   help="none; mirrored: split each batch over this machine's GPUs; "
                        "multiworker: over several machines (TF_CONFIG)")
    p.set_defaults(func=_train)

    p = commands.add_parser("demo", help="the main job: inpaint, blend, refine, blend on a few faces")
    p.add_argument("--patterns", default="1-6", help="hole patterns, e.g. 1-6 or 5 (default 1-6)")
    p.add_argument("--count", type=int, default=None, help="faces (default: one per pattern)")
    _add_budget_flags(p, "steps per stage (default: the budget's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None,
                   help="folder for the figure (default figures/, or the git-ignored figures/celeba/ when "
                        "INPAINTKIT_DATA points at CelebA)")
    p.set_defaults(func=_demo)

    p = commands.add_parser("inpaint", help="your own photos: frame the face like CelebA, inpaint a hole, refine")
    p.add_argument("photos", nargs="+", metavar="PHOTO", help="photo files (JPEG, PNG, ...), one face each")
    hole = p.add_mutually_exclusive_group(required=True)
    hole.add_argument("--mask", default=None,
                      help="mask PNG, white = known, black or transparent = hole: 64×64 on the face, or the "
                           "photo's size (cut with the face's crop)")
    hole.add_argument("--pattern", default=None, help="a hole pattern of §3.3 instead: 1-6 or its key")
    p.add_argument("--mu", type=float, default=None,
                   help="refinement µ (default: the pattern's µ, or by the hole's size for a mask)")
    _add_budget_flags(p, "steps per stage (default: the budget's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=16, help="photos optimised together (default 16)")
    p.add_argument("--out", required=True, help="folder for the panels and metrics")
    p.set_defaults(func=_inpaint)

    p = commands.add_parser("evaluate", help="reproduce Tables 1 and 2 on held-out faces (resumable)")
    p.add_argument("--data", help="CelebA folder (default: $INPAINTKIT_DATA)")
    p.add_argument("--partition", default=None,
                   help="validation (default) or test: held-out faces (any case; train is refused)")
    p.add_argument("--n", type=int, default=None, help="faces per pattern (default 100); a larger --n on a run's folder grows "
                        "the run, keeping its finished batches (it cannot shrink back)")
    p.add_argument("--patterns", default=None, help="hole patterns (default 1-6)")
    p.add_argument("--budget", default=None, type=str.lower, choices=tuple(config.BUDGETS),
                   help="steps and Adam step of both stages (default: the paper's 1500 + 1500 at 0.003)")
    p.add_argument("--steps", type=int, default=None, help="inpainting steps (default: the budget's)")
    p.add_argument("--refine-steps", type=int, default=None, help="refinement steps (default: --steps)")
    p.add_argument("--batch-size", type=int, default=None, help="faces per batch file (default 50)")
    p.add_argument("--seed", type=int, default=None, help="default 0")
    p.add_argument("--weights", default=None, help="weights folder (default: the shipped weights)")
    p.add_argument("--no-table2", action="store_true", help="skip the 3000-step centre run")
    p.add_argument("--readme", default=None,
                   help="also copy summary.md between the results markers of this README")
    p.add_argument("--report-only", action="store_true",
                   help="write the tables from the batches finished so far, run nothing new; the settings "
                        "(faces, steps, seed, ...) are the folder's own")
    p.add_argument("--beside", default=None, metavar="DIR",
                   help="a run of the same faces at a cheaper budget: its price goes into summary.md")
    p.add_argument("--shard", default=None,
                   help="i/n: compute only this process's share of the batches (then --report-only)")
    p.add_argument("--precision", default=None, help="float32 (default) or mixed_bfloat16")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_evaluate)

    p = commands.add_parser("figures", help="regenerate every figure in figures/ from code")
    p.add_argument("--out", default="figures")
    p.add_argument("--results", default="results/eval", help="the evaluation run whose changes are plotted")
    p.add_argument("--steps", type=int, default=1500, help="steps per stage (paper: 1500)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", default=None, help=f"comma-separated parts: {', '.join(FIGURE_PARTS)} (default: all)")
    p.add_argument("--celeba-count", type=int, default=64, help="validation faces for the local Fig. 6/10")
    p.set_defaults(func=_figures)

    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.command_line = "inpaintkit " + " ".join(argv)  # named in the output folder's lock
    for flag, value in vars(args).items():  # "" as a path would silently mean the current folder
        if flag in PATH_FLAGS and value is not None and not str(value).strip():
            print(f"inpaintkit {args.command}: error: --{flag} is empty: give a path", file=sys.stderr)
            return 2
    try:
        return args.func(args)
    except KeyboardInterrupt as stop:
        print(f"inpaintkit {args.command}: interrupted{': ' + str(stop) if str(stop) else ''}", file=sys.stderr)
        return 130
    except Exception as error:
        if not is_user_error(error):
            raise  # a bug in the kit: keep the traceback
        print(f"inpaintkit {args.command}: error: {error}", file=sys.stderr)
        return 2


def is_user_error(error: BaseException) -> bool:
    """A mistake in the user's input or environment (one line), not a bug in the kit (traceback):
    the kit's :class:`~inpaintkit.errors.InputError` (data, masks, arrays, settings), a missing,
    unreadable or unwritable file, damaged weights, an unknown budget, a diverged training run."""
    user = (InputError, FileNotFoundError, FileExistsError, PermissionError, IsADirectoryError,
            NotADirectoryError, WeightsError, TrainingDiverged, config.BudgetError)
    # A full or read-only disk met where no check named it yet is the user's to fix too.
    return isinstance(error, user) or (isinstance(error, OSError) and describe_os_error(error) is not None)

"""Command line: ``python -m inpaintkit train|demo|inpaint|evaluate|figures ...`` (also the ``inpaintkit`` script).

The front of the kit: each command resolves its budget (``--budget``, else ``INPAINTKIT_BUDGET``)
and passes plain numbers to the package.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from . import config
from .data import DataError, load_celeba, load_celeba_named, load_faces, tuning_faces
from .dcgan import check_precision
from .errors import InputError, check_count
from .evaluation import evaluate, evaluate_baselines, parse_shard
from .faces import default_mu, frame_photo, inpaint_own_faces, panel_figure
from .figures import PARTS as FIGURE_PARTS
from .figures import celeba_folder, make_all, record_weights
from .masks import SIZE, make_mask, mask_from_png, missing_fraction, parse_patterns, pattern
from .metrics import image_metrics
from .pipeline import fig8
from .reports import paste_summary, write_reports
from .storage import atomic_path, atomic_write_text
from .training import TrainConfig, TrainingDiverged, train
from .weights_io import WeightsError, load_pretrained, load_weights

__all__ = ["build_parser", "is_user_error", "main", "train_settings"]


def _train(args) -> int:
    # Settings first: a wrong one is refused before any face is decoded or any file written.
    data = Path(args.data) if args.data else config.data_dir()
    if data is None:
        raise DataError(f"no data folder: pass --data DIR or set {config.ENV_DATA}")
    settings = train_settings(args, data)
    if args.tuning:
        check_count("--tuning", args.tuning)
    if args.max_steps is not None:
        check_count("--max-steps", args.max_steps)
    config.seed_everything(args.seed)
    images = load_celeba(data, "train")
    print(f"training on {len(images)} faces of the train partition of {data}")
    tuning = tuning_faces(data, args.tuning) if args.tuning else None
    result = train(images, args.out, settings, resume=args.resume, max_steps=args.max_steps, tuning_faces=tuning)
    print(f"stopped at step {result['step']} after {result['seconds']:.0f} s; checkpoints in "
          f"{Path(args.out) / 'checkpoints'}")
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
        return config.budget("paper")
    return config.budget(args.budget) if args.budget else config.budget()


def _steps(args, budget: config.Budget) -> tuple[int, int]:
    """(inpainting, refinement) steps: ``--steps`` for both when given, else the budget's."""
    if args.steps is None:
        return budget.inpaint_steps, budget.refine_steps
    steps = check_count("--steps", args.steps)
    return steps, steps


def _demo(args) -> int:
    config.seed_everything(args.seed)
    check_precision(args.precision)  # before anything is loaded or written
    budget = _budget(args)
    inpaint_steps, refine_steps = _steps(args, budget)
    numbers = parse_patterns(args.patterns)
    if args.count is not None:
        check_count("--count", args.count)
    faces = load_faces("validation", args.count or len(numbers), progress=False)
    count = len(faces)
    which = [numbers[i % len(numbers)] for i in range(count)]
    rng = np.random.default_rng(args.seed)
    known = np.stack([make_mask(n, rng) for n in which])
    mu = np.array([pattern(n).mu for n in which], dtype=np.float32)
    print(f"inpainting {count} face(s), patterns {which}, {inpaint_steps} + {refine_steps} steps at Adam step "
          f"{budget.learning_rate:g} (budget {budget.name}; --paper for the paper's 1500 + 1500 at 0.003)")
    G, D = load_pretrained()
    result = fig8(faces, known, G, D, mu=mu, inpaint_steps=inpaint_steps, refine_steps=refine_steps,
                  learning_rate=budget.learning_rate, seed=args.seed, original=faces, precision=args.precision)
    if args.out is not None:
        out = Path(args.out)
    elif config.data_dir() is not None:  # CelebA faces: never into the committed figures/
        out = celeba_folder("figures")
    else:
        out = Path("figures")
    out.mkdir(parents=True, exist_ok=True)
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
    while name in taken or (out / f"{name}.png").exists() or (out / f"{name}.json").exists():
        number += 1
        name = f"{stem}-{number}"
    taken.add(name)
    return name


def _inpaint(args) -> int:
    """Frame each photo like CelebA, inpaint the hole (a mask file or a pattern), refine; one panel
    and one metrics JSON per photo, and every photo's metrics gathered in DIR/metrics.json."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    config.seed_everything(args.seed)
    check_precision(args.precision)  # before anything is loaded or written
    budget = _budget(args)
    inpaint_steps, refine_steps = _steps(args, budget)
    if (args.mask is None) == (args.pattern is None):
        raise InputError("give the hole as --mask MASK.png or --pattern N (one of them)")
    check_count("--batch-size", args.batch_size)
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
        from PIL import Image

        try:
            with Image.open(args.mask) as image:
                width, height = image.size
        except FileNotFoundError:
            raise InputError(f"mask file {args.mask} does not exist") from None
        except Exception as error:
            raise InputError(f"cannot read mask file {args.mask}: {error}") from None
        if (width, height) != (SIZE, SIZE):
            print(f"note: mask {args.mask} is {width}×{height}; resized to {SIZE}×{SIZE} (nearest neighbour)")
        known = np.repeat(mask_from_png(args.mask)[None], len(framed), axis=0)
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
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    G, D = load_pretrained()
    taken: set[str] = set()
    summary_path = out / "metrics.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    for start in range(0, len(framed), args.batch_size):
        batch = framed[start:start + args.batch_size]
        result = inpaint_own_faces(np.stack([f.face for f in batch]), known[start:start + len(batch)], G, D, mu=mu,
                                   steps=inpaint_steps, refine_steps=refine_steps, learning_rate=budget.learning_rate,
                                   seed=args.seed, precision=args.precision)
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
                      "seed": args.seed, "notes": item.notes,
                      "before": {k: float(v[i]) for k, v in before.items()},
                      "after": {k: float(v[i]) for k, v in after.items()}}
            atomic_write_text(out / f"{name}.json", json.dumps(record, indent=1, ensure_ascii=False) + "\n")
            summary[name] = record
            atomic_write_text(summary_path, json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
            b, a = record["before"], record["after"]
            print(f"{out / name}.png: MAE {b['MAE']:.2f} -> {a['MAE']:.2f}, PSNR {b['PSNR']:.2f} -> {a['PSNR']:.2f}, "
                  f"MSSIM {b['MSSIM']:.4f} -> {a['MSSIM']:.4f}")
    print(f"metrics of every photo in {summary_path}")
    return 0


def _evaluate(args) -> int:
    config.seed_everything(args.seed)
    check_precision(args.precision)  # before anything is loaded or written
    # Every argument is checked before anything is loaded or written.
    budget = config.budget(args.budget)
    patterns = parse_patterns(args.patterns)
    steps = budget.inpaint_steps if args.steps is None else args.steps
    refine_steps = (budget.refine_steps if args.steps is None else steps) if args.refine_steps is None \
        else args.refine_steps
    for flag, value in (("--steps", steps), ("--refine-steps", refine_steps), ("--batch-size", args.batch_size),
                        ("--n", args.n)):
        check_count(flag, value)
    shard = parse_shard(args.shard)
    if shard and args.report_only:
        raise InputError("--report-only merges every shard's batches: give it without --shard")
    data = Path(args.data) if args.data else config.data_dir()
    if data is None:
        raise DataError(f"no data folder: pass --data DIR or set {config.ENV_DATA}")
    if args.partition == "train":
        raise DataError("evaluate on held-out faces: --partition validation or test, never train")
    if args.report_only and not (Path(args.out) / "settings.json").exists():
        raise InputError(f"{args.out} holds no evaluation run: run it without --report-only first")
    # The names come with the faces: a file that cannot be read is skipped in both.
    faces, names = load_celeba_named(data, args.partition, args.n)
    if args.report_only:
        print(f"tables from the finished batches in {args.out} (no new batch is run)")
    else:
        G, D = load_weights(args.weights) if args.weights else load_pretrained()
        print(f"evaluating {len(faces)} {args.partition} faces from {data} -> {args.out}, {steps} + {refine_steps} "
              f"steps at Adam step {budget.learning_rate:g}" + (f" (shard {shard[0]} of {shard[1]})" if shard else ""))
        evaluate(faces, names, G, D, args.out, patterns=patterns, steps=steps, refine_steps=refine_steps,
                 batch_size=args.batch_size, seed=args.seed, table2=not args.no_table2, shard=shard,
                 precision=args.precision, learning_rate=budget.learning_rate)
        if shard:
            print(f"shard {shard[0]}/{shard[1]} done; when every shard is, run again with --report-only")
            return 0
    evaluate_baselines(faces, args.out, patterns=patterns, seed=args.seed)
    run = write_reports(args.out, beside=args.beside)
    print(f"{len(run['rows'])} rows; tables in {Path(args.out) / 'table1.md'} and table2.md")
    print((Path(args.out) / "table1.md").read_text())
    if args.readme:
        readme = Path(args.readme)
        atomic_write_text(readme, paste_summary(readme.read_text(), (Path(args.out) / "summary.md").read_text()))
        print(f"results block of {readme} refreshed from {Path(args.out) / 'summary.md'}")
    return 0


def _figures(args) -> int:
    config.seed_everything(args.seed)
    parts = FIGURE_PARTS if args.only is None else tuple(part.strip() for part in args.only.split(","))
    make_all(args.out, results=args.results, steps=check_count("--steps", args.steps), seed=args.seed,
             parts=parts, celeba_count=check_count("--celeba-count", args.celeba_count))
    return 0


def _add_budget_flags(parser, steps_help: str) -> None:
    """``--budget``, ``--paper``, ``--steps`` and ``--precision`` of the commands that inpaint."""
    parser.add_argument("--budget", default=None, choices=tuple(config.BUDGETS),
                        help="fast, lab or paper (default: $INPAINTKIT_BUDGET, else lab)")
    parser.add_argument("--paper", action="store_true", help="the paper's budget: 1500 + 1500 steps at 0.003")
    parser.add_argument("--steps", type=int, default=None, help=steps_help)
    parser.add_argument("--precision", default="float32",
                        help="float32 (default) or mixed_bfloat16: G and D's arithmetic "
                             "(slower on CPUs without bf16 units)")


def build_parser() -> argparse.ArgumentParser:
    """Every command's flags (``main`` runs the one chosen)."""
    parser = argparse.ArgumentParser(prog="inpaintkit", description=__doc__)
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
    hole.add_argument("--mask", default=None, help="mask PNG on the 64×64 face: white = known, black = hole")
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
    p.add_argument("--partition", default="validation")
    p.add_argument("--n", type=int, default=100, help="faces per pattern")
    p.add_argument("--patterns", default="1-6")
    p.add_argument("--budget", default="paper", choices=tuple(config.BUDGETS),
                   help="steps and Adam step of both stages (default: the paper's 1500 + 1500 at 0.003)")
    p.add_argument("--steps", type=int, default=None, help="inpainting steps (default: the budget's)")
    p.add_argument("--refine-steps", type=int, default=None, help="refinement steps (default: --steps)")
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--weights", default=None, help="weights folder (default: the shipped weights)")
    p.add_argument("--no-table2", action="store_true", help="skip the 3000-step centre run")
    p.add_argument("--readme", default=None,
                   help="also copy summary.md between the results markers of this README")
    p.add_argument("--report-only", action="store_true",
                   help="write the tables from the batches finished so far, run nothing new")
    p.add_argument("--beside", default=None, metavar="DIR",
                   help="a run of the same faces at a cheaper budget: its price goes into summary.md")
    p.add_argument("--shard", default=None,
                   help="i/n: compute only this process's share of the batches (then --report-only)")
    p.add_argument("--precision", default="float32", help="float32 (default) or mixed_bfloat16")
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
    args = build_parser().parse_args(argv)
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
    return isinstance(error, user)

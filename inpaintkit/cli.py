"""Command line: ``python -m inpaintkit train|demo|inpaint|evaluate ...`` (also the ``inpaintkit`` script)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _train(args) -> int:
    from . import config
    from .data import DataError, full_size_mask, list_images, load_celeba, tuning_faces
    from .dcgan import train

    # Settings first: a wrong one is refused before any face is decoded or any file written.
    data = Path(args.data) if args.data else config.data_dir()
    if data is None:
        raise DataError(f"no data folder: pass --data DIR or set {config.ENV_DATA}")
    settings = train_settings(args, data)
    config.seed_everything(args.seed)
    images = load_celeba(data, "train", args.count)
    if args.full_size_only:
        keep = full_size_mask(list_images(data, "train", args.count))
        if len(keep) != len(images):
            raise DataError("some train files could not be read, so the half-size filter cannot be applied")
        images = images[keep]
    print(f"training on {len(images)} faces of the train partition of {data}"
          + (" (full-size files only)" if args.full_size_only else ""))
    tuning = tuning_faces(data, args.tuning) if args.tuning else None
    result = train(images, args.out, settings, resume=args.resume, max_steps=args.max_steps,
                   tuning_faces=tuning, tune_every=args.tune_every, tune_steps=args.tune_steps,
                   branch_from=args.branch_from)
    print(f"stopped at step {result['step']} after {result['seconds']:.0f} s; checkpoints in "
          f"{Path(args.out) / 'checkpoints'}")
    return 0


def train_settings(args, data: str | Path):
    """The :class:`~inpaintkit.dcgan.TrainConfig` that ``train``'s flags ask for (``data``: the faces' folder)."""
    from .dcgan import TrainConfig

    dataset = f"{Path(data).resolve()}:train:count={args.count}" + (":full-size" if args.full_size_only else "")
    return TrainConfig(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr,
                       width=args.width, seed=args.seed, checkpoint_every=args.checkpoint_every,
                       precision=args.precision, flip=args.flip, ema_decay=args.ema_decay,
                       g_steps=args.g_steps, init=args.init, dataset=dataset, strategy=args.strategy,
                       lr_decay_start=args.lr_decay_start, augment=args.augment,
                       label_smoothing=args.label_smoothing, d_lr_ratio=args.d_lr_ratio,
                       r1_gamma=args.r1_gamma)


def _demo(args) -> int:
    import numpy as np

    from . import config
    from .dcgan import check_precision
    from .data import load_faces
    from .dcgan import load_pretrained
    from .figures import record_weights
    from .masks import make_mask, parse_patterns, pattern
    from .pipeline import inpaint_and_refine
    from .storage import atomic_path

    config.seed_everything(args.seed)
    check_precision(args.precision)  # before anything is loaded or written
    steps = 1500 if args.paper else args.steps
    numbers = parse_patterns(args.patterns)
    faces = load_faces("validation", args.count or len(numbers), progress=False)
    count = len(faces)
    which = [numbers[i % len(numbers)] for i in range(count)]
    rng = np.random.default_rng(args.seed)
    known = np.stack([make_mask(n, rng) for n in which])
    mu = np.array([pattern(n).mu for n in which], dtype=np.float32)
    print(f"inpainting {count} face(s), patterns {which}, {steps} + {steps} steps "
          f"({'the paper' if steps == 1500 else 'demo'} setting; --paper for 1500 + 1500)")
    G, D = load_pretrained()
    result = inpaint_and_refine(faces, known, G, D, mu=mu, inpaint_steps=steps, refine_steps=steps,
                                seed=args.seed, original=faces, precision=args.precision)
    if args.out is not None:
        out = Path(args.out)
    elif config.data_dir() is not None:  # CelebA faces: never into the committed figures/
        from .figures import celeba_folder

        out = celeba_folder("figures")
    else:
        out = Path("figures")
    out.mkdir(parents=True, exist_ok=True)
    figure = result.plot()
    target = out / "demo_pipeline.png"
    with atomic_path(target) as tmp:
        figure.savefig(tmp, dpi=120, bbox_inches="tight")
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
    import json

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from . import config
    from .dcgan import check_precision
    from .errors import InputError
    from .faces import default_mu, frame_photo, inpaint_own_faces, masks_for_faces, panel_figure
    from .masks import make_mask, missing_fraction, pattern
    from .metrics import image_metrics
    from .storage import atomic_path, atomic_write_text

    config.seed_everything(args.seed)
    check_precision(args.precision)  # before anything is loaded or written
    steps = 1500 if args.paper else args.steps
    if (args.mask is None) == (args.pattern is None):
        raise InputError("give the hole as --mask MASK.png or --pattern N (one of them)")
    if args.batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, got {args.batch_size}")
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
          f"µ {mu}, {steps} + {steps} steps, seed {args.seed}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    summary_path = out / "metrics.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    for start in range(0, len(framed), args.batch_size):
        batch = framed[start:start + args.batch_size]
        result = inpaint_own_faces(np.stack([f.face for f in batch]), known[start:start + len(batch)], mu=mu,
                                   steps=steps, seed=args.seed, precision=args.precision)
        before, after = (image_metrics(x, result.original) for x in (result.x_b, result.x))
        for i, item in enumerate(batch):
            name = _unique_stem(out, Path(item.source).stem, taken)
            figure = panel_figure(result, i, title=Path(item.source).name)
            with atomic_path(out / f"{name}.png") as tmp:
                figure.savefig(tmp, dpi=100, bbox_inches="tight", format="png")
            plt.close(figure)
            record = {"photo": str(item.source), "panel": f"{name}.png", "hole": hole,
                      "missing": round(float(missing_fraction(result.known[i])), 4), "mu": mu, "steps": steps,
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
    from . import config
    from .dcgan import check_precision
    from .data import DataError, load_celeba_named
    from .errors import InputError
    from .evaluation import evaluate, evaluate_baselines, paste_summary, parse_shard, write_reports
    from .masks import parse_patterns
    from .storage import atomic_write_text

    config.seed_everything(args.seed)
    check_precision(args.precision)  # before anything is loaded or written
    # Every argument is checked before anything is loaded or written.
    patterns = parse_patterns(args.patterns)
    refine_steps = args.steps if args.refine_steps is None else args.refine_steps
    for flag, value in (("--steps", args.steps), ("--refine-steps", refine_steps),
                        ("--batch-size", args.batch_size), ("--n", args.n)):
        if value < 1:
            raise InputError(f"{flag} must be at least 1, got {value}")
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
        from .dcgan import load_pretrained, load_weights

        G, D = load_weights(args.weights) if args.weights else load_pretrained()
        print(f"evaluating {len(faces)} {args.partition} faces from {data} -> {args.out}"
              + (f" (shard {shard[0]} of {shard[1]})" if shard else ""))
        evaluate(faces, names, G, D, args.out, patterns=patterns, steps=args.steps, refine_steps=refine_steps,
                 batch_size=args.batch_size, seed=args.seed, table2=not args.no_table2, shard=shard,
                 precision=args.precision)
        if shard:
            print(f"shard {shard[0]}/{shard[1]} done; when every shard is, run again with --report-only")
            return 0
    evaluate_baselines(faces, args.out, patterns=patterns, seed=args.seed)
    run = write_reports(args.out)
    print(f"{len(run['rows'])} rows; tables in {Path(args.out) / 'table1.md'} and table2.md")
    print((Path(args.out) / "table1.md").read_text())
    if args.readme:
        readme = Path(args.readme)
        atomic_write_text(readme, paste_summary(readme.read_text(), (Path(args.out) / "summary.md").read_text()))
        print(f"results block of {readme} refreshed from {Path(args.out) / 'summary.md'}")
    return 0


def _figures(args) -> int:
    from . import config
    from .figures import PARTS as FIGURE_PARTS, make_all

    config.seed_everything(args.seed)
    parts = FIGURE_PARTS if args.only is None else tuple(part.strip() for part in args.only.split(","))
    make_all(args.out, steps=args.steps, seed=args.seed, parts=parts, celeba_count=args.celeba_count)
    return 0


def _add_precision_flag(parser) -> None:
    """``--precision`` of the commands that run the latent optimisers (demo, inpaint, evaluate)."""
    parser.add_argument("--precision", default="float32",
                        help="float32 (default) or mixed_bfloat16: G and D's arithmetic "
                             "(slower on CPUs without bf16 units)")


def build_parser() -> argparse.ArgumentParser:
    """Every command's flags (``main`` runs the one chosen)."""
    parser = argparse.ArgumentParser(prog="inpaintkit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("train", help="train the DCGAN on CelebA's train partition (§3.2)")
    p.add_argument("--data", help="CelebA folder (default: $INPAINTKIT_DATA)")
    p.add_argument("--out", required=True, help="folder for checkpoints, logs and config")
    p.add_argument("--epochs", type=int, default=25)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-4, help="Adam step (the paper prints 0.002)")
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--count", type=int, default=None, help="use only the first N train faces")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps")
    p.add_argument("--checkpoint-every", type=int, default=200)
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    p.add_argument("--branch-from", default=None, metavar="RUN",
                   help="start a new run in --out from the newest checkpoint of the run in RUN, under this "
                        "call's settings (e.g. --g-steps 2): one recipe change measured from a long run's middle")
    p.add_argument("--precision", default="float32", help="float32 or mixed_bfloat16")
    p.add_argument("--flip", action="store_true", help="mirror faces left-right at random")
    p.add_argument("--augment", action="store_true",
                   help="show D real and generated faces through random colour and shift (DiffAugment)")
    p.add_argument("--ema-decay", type=float, default=0.999, help="EMA of G's weights (0: none)")
    p.add_argument("--g-steps", type=int, default=1, help="G updates per D update")
    p.add_argument("--label-smoothing", type=float, default=0.0,
                   help="D's target for real faces is 1 minus this (one-sided label smoothing; default 0)")
    p.add_argument("--d-lr-ratio", type=float, default=1.0,
                   help="D's Adam rate as a multiple of --lr (e.g. 0.5: D learns at half G's rate; default 1)")
    p.add_argument("--r1-gamma", type=float, default=0.0,
                   help="weight of the R1 penalty on D's gradient at real faces (Mescheder et al. 2018; default 0: none)")
    p.add_argument("--lr-decay-start", type=int, default=0,
                   help="0: constant rate; N: from update N the rate falls linearly to 0 at the last update")
    p.add_argument("--init", default="scratch", help="scratch, or shipped: start from the shipped weights")
    p.add_argument("--full-size-only", action="store_true",
                   help="drop train files stored below CelebA's 178x218 (upsampled faces)")
    p.add_argument("--strategy", default="none",
                   help="none; mirrored: split each batch over this machine's GPUs (or logical CPUs); "
                        "multiworker: over several machines (TF_CONFIG)")
    p.add_argument("--tuning", type=int, default=0,
                   help="fit G to this many tuning faces (validation faces 100 onward) every --tune-every steps")
    p.add_argument("--tune-every", type=int, default=1000)
    p.add_argument("--tune-steps", type=int, default=200)
    p.set_defaults(func=_train)

    p = commands.add_parser("demo", help="the main job: inpaint, blend, refine, blend on a few faces")
    p.add_argument("--patterns", default="1-6", help="hole patterns, e.g. 1-6 or 5 (default 1-6)")
    p.add_argument("--count", type=int, default=None, help="faces (default: one per pattern)")
    p.add_argument("--steps", type=int, default=300, help="steps per stage (default 300)")
    p.add_argument("--paper", action="store_true", help="the paper's 1500 + 1500 steps")
    p.add_argument("--seed", type=int, default=0)
    _add_precision_flag(p)
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
    p.add_argument("--steps", type=int, default=300, help="steps per stage (default 300)")
    p.add_argument("--paper", action="store_true", help="the paper's 1500 + 1500 steps")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=16, help="photos optimised together (default 16)")
    _add_precision_flag(p)
    p.add_argument("--out", required=True, help="folder for the panels and metrics")
    p.set_defaults(func=_inpaint)

    p = commands.add_parser("evaluate", help="reproduce Tables 1 and 2 on held-out faces (resumable)")
    p.add_argument("--data", help="CelebA folder (default: $INPAINTKIT_DATA)")
    p.add_argument("--partition", default="validation")
    p.add_argument("--n", type=int, default=100, help="faces per pattern")
    p.add_argument("--patterns", default="1-6")
    p.add_argument("--steps", type=int, default=1500, help="inpainting steps (paper: 1500)")
    p.add_argument("--refine-steps", type=int, default=None, help="refinement steps (default: --steps)")
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--weights", default=None, help="weights folder (default: the shipped weights)")
    p.add_argument("--no-table2", action="store_true", help="skip the 3000-step centre run")
    p.add_argument("--readme", default=None,
                   help="also copy summary.md between the results markers of this README")
    p.add_argument("--report-only", action="store_true",
                   help="write the tables from the batches finished so far, run nothing new")
    p.add_argument("--shard", default=None,
                   help="i/n: compute only this process's share of the batches (then --report-only)")
    _add_precision_flag(p)
    p.add_argument("--out", required=True)
    p.set_defaults(func=_evaluate)

    p = commands.add_parser("figures", help="regenerate every figure in figures/ from code")
    p.add_argument("--out", default="figures")
    p.add_argument("--steps", type=int, default=1500, help="steps per stage (paper: 1500)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", default=None,
                   help="comma-separated parts: patterns, pipeline, steps, evaluation, celeba (default: all)")
    p.add_argument("--celeba-count", type=int, default=64, help="validation faces for the local Fig. 6/10")
    p.set_defaults(func=_figures)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from . import quiet_tensorflow

    quiet_tensorflow()  # no CUDA/oneDNN start-up lines on a learner's terminal
    try:
        return args.func(args)
    except Exception as error:
        if not is_user_error(error):
            raise  # a bug in the kit: keep the traceback
        print(f"inpaintkit {args.command}: error: {error}", file=sys.stderr)
        return 2


def is_user_error(error: BaseException) -> bool:
    """A mistake in the user's input or environment (one line), not a bug in the kit (traceback):
    the kit's :class:`~inpaintkit.errors.InputError` (data, masks, arrays, settings), a missing,
    unreadable or unwritable file, and damaged weights."""
    from .errors import InputError

    user = (InputError, FileNotFoundError, FileExistsError, PermissionError, IsADirectoryError,
            NotADirectoryError)
    if "inpaintkit.dcgan" in sys.modules:
        dcgan = sys.modules["inpaintkit.dcgan"]
        user += (dcgan.WeightsError, dcgan.TrainingDiverged)
    return isinstance(error, user)

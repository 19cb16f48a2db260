"""Command line: ``python -m inpaintkit train|demo|evaluate ...`` (also the ``inpaintkit`` script)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _train(args) -> int:
    from . import config
    from .data import DataError, load_celeba
    from .dcgan import TrainConfig, train

    config.seed_everything(args.seed)
    data = Path(args.data) if args.data else config.data_dir()
    if data is None:
        raise DataError(f"no data folder: pass --data DIR or set {config.ENV_DATA}")
    images = load_celeba(data, "train", args.count)
    print(f"training on {len(images)} faces of the train partition of {data}")
    settings = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr,
                           width=args.width, seed=args.seed, checkpoint_every=args.checkpoint_every)
    result = train(images, args.out, settings, resume=args.resume, max_steps=args.max_steps)
    print(f"stopped at step {result['step']} after {result['seconds']:.0f} s; checkpoints in "
          f"{Path(args.out) / 'checkpoints'}")
    return 0


def main(argv: list[str] | None = None) -> int:
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
    p.set_defaults(func=_train)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, FileExistsError, PermissionError, RuntimeError) as error:
        print(f"inpaintkit {args.command}: error: {error}", file=sys.stderr)
        return 2

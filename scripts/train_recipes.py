"""Recipe A/B runs for the generator (issue 12): one change at a time against today's recipe,
at equal updates and seed, each judged by the held-out fit on tuning faces (validation faces
100 onward; the evaluation reports faces 0–99 only).

    python scripts/train_recipes.py --data $INPAINTKIT_DATA [--arms today,flip,full_size] [--steps 2000]
    python scripts/train_recipes.py --report        # the table from the runs finished so far

Each arm is an ordinary resumable ``python -m inpaintkit train`` run under the cache folder
(``$INPAINTKIT_CACHE/runs/recipe-NAME``), so an interrupted queue continues where it stopped.
Every arm also keeps an EMA of G's weights, so "EMA vs raw G" is measured inside each run.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from inpaintkit import config

ARMS = {  # name: extra train flags (today's recipe: fp32, no flips, all 14,283 train faces)
    "today": [],
    "flip": ["--flip"],
    "full_size": ["--full-size-only"],
    "bf16": ["--precision", "mixed_bfloat16"],
    "g2": ["--g-steps", "2"],
}
COMMON = ["--epochs", "40", "--seed", "0", "--tuning", "128", "--tune-every", "1000", "--tune-steps", "200"]


def run_dir(name: str) -> Path:
    return config.cache_dir() / "runs" / f"recipe-{name}"


def run_arm(name: str, data: str, steps: int) -> None:
    out = run_dir(name)
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "inpaintkit", "train", "--data", data, "--out", str(out),
               "--max-steps", str(steps), "--resume", *COMMON, *ARMS[name]]
    print(" ".join(command), flush=True)
    with open(out / "train.log", "a") as log:
        subprocess.run(command, check=True, stdout=log, stderr=subprocess.STDOUT)


def report(names, steps: int) -> list[dict]:
    rows = []
    for name in names:
        log_file = run_dir(name) / "tuning.json"
        if not log_file.exists():
            continue
        for row in json.loads(log_file.read_text()):
            if row["step"] == steps:
                rows.append({"arm": name, **row})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(config.data_dir()))
    parser.add_argument("--arms", default="today,flip,full_size")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    names = [n.strip() for n in args.arms.split(",")]
    unknown = [n for n in names if n not in ARMS]
    if unknown:
        parser.error(f"unknown arm(s) {unknown}: choose from {', '.join(ARMS)}")
    if not args.report:
        for name in names:
            run_arm(name, args.data, args.steps)
    rows = report(names, args.steps)
    print(f"| arm | tuning fit MSE at step {args.steps}, G | EMA G |\n| --- | --- | --- |")
    for row in rows:
        print(f"| {row['arm']} | {row['mse_raw']:.1f} | {row['mse_ema']:.1f} |")


if __name__ == "__main__":
    main()

"""Benchmark: Poisson blending (Eq. 6), milliseconds per 64×64×3 image, for each hole pattern.

(a) cvxpy stating Eq. 6 as written (CLARABEL; the paper used CVX in Matlab, about 6 s per image),
(b) the kit's exact banded solver on a batch of ``--count`` images with a different mask each
    (a factorisation per image; the batch is spread over the CPU cores), as the pipeline blends
    random holes,
(c) the same batch sharing one mask (one factorisation, reused for every channel and image),
(d) for information, one call per image (a factorisation each, nothing to spread over cores).
Target: (b) and (c) at least 100× faster per image than (a), measured in this run on every
pattern; each gets a verdict. All timings follow one untimed warm-up call of each solver.

    python benchmarks/bench_blending.py [--count 64] [--reference 2] [--patterns 1-6] [--kind paper]
"""
from __future__ import annotations

import argparse

from inpaintkit.blending import _CORES, KINDS, time_solvers
from inpaintkit.masks import PATTERNS, parse_patterns

TARGET = 100.0
PAPER_MS = 6000.0  # §3.2: CVX in Matlab on an Intel i7


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=64, help="images per batch for the fast solver")
    parser.add_argument("--reference", type=int, default=2, help="images solved by cvxpy per pattern")
    parser.add_argument("--patterns", default="1-6", help="hole patterns, e.g. '1-6' or '1,5'")
    parser.add_argument("--kind", default="paper", choices=sorted(KINDS))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not 1 <= args.count <= 64 or args.reference < 1:
        parser.error("--count must be 1-64 (the left half has 64 placements) and --reference at least 1")

    print(f"Eq. 6, kind={args.kind}, ms per 64x64x3 image; cvxpy on {args.reference} image(s), "
          f"fast solver on batches of {args.count}, {_CORES} CPU core(s)\n")
    header = (f"{'pattern':33} {'cvxpy':>8} {'(solver)':>9} {'own mask':>9} {'shared':>8} {'1/call':>7}"
              f" {'own/cvx':>8} {'shared/cvx':>10} {'vs paper 6 s':>13}")
    print(header)
    print("-" * len(header))
    worst = {f"own mask (batch of {args.count}, a factorisation each)": float("inf"),
             f"shared mask (batch of {args.count})": float("inf")}
    for number in parse_patterns(args.patterns):
        t = time_solvers(args.count, args.reference, seed=args.seed, pattern=number, kind=args.kind)
        own, shared = t["cvxpy_ms"] / t["fast_own_mask_ms"], t["cvxpy_ms"] / t["fast_shared_mask_ms"]
        for key, speedup in zip(worst, (own, shared)):
            worst[key] = min(worst[key], speedup)
        print(f"({number}) {PATTERNS[number].name:29} {t['cvxpy_ms']:8.1f} {t['cvxpy_solver_only_ms']:9.1f}"
              f" {t['fast_own_mask_ms']:9.2f} {t['fast_shared_mask_ms']:8.2f} {t['fast_one_image_ms']:7.2f}"
              f" {own:7.0f}x {shared:9.0f}x"
              f" {PAPER_MS / t['fast_own_mask_ms']:7.0f}x-{PAPER_MS / t['fast_shared_mask_ms']:.0f}x")
    print("\ncvxpy = modelling + solver; (solver) = CLARABEL's own time; own mask = a different mask per image;"
          f"\nshared = one mask for the batch; 1/call = one image per call (information, no target);"
          "\n'vs paper' = the paper's 6 s per image over the fast solver (own mask - shared).")
    print()
    for key, speedup in worst.items():
        verdict = "PASS" if speedup >= TARGET else "FAIL"
        print(f"{verdict}: {key:45} smallest speedup over cvxpy {speedup:5.0f}x (target >= {TARGET:.0f}x)")


if __name__ == "__main__":
    main()

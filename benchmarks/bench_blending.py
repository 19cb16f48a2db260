"""Benchmark: Poisson blending (Eq. 6), milliseconds per 64×64×3 image, for each hole pattern.

(a) cvxpy stating Eq. 6 as written (CLARABEL; the paper used CVX in Matlab, about 6 s per image),
(b) the kit's exact sparse solver with a factorisation for every image (a different mask each),
(c) the same with one mask shared by a batch of ``--count`` images (one factorisation, reused for
    every channel and image, one multi-column solve).
Target: at least 100× faster per image than (a), measured in this run on every pattern;
(b) and (c) get a verdict each. All timings are after one untimed warm-up call of each solver.

    python benchmarks/bench_blending.py [--count 64] [--reference 2] [--patterns 1-6] [--kind paper]
"""
from __future__ import annotations

import argparse

from inpaintkit.blending import KINDS, time_solvers
from inpaintkit.masks import PATTERNS, parse_patterns

TARGET = 100.0
PAPER_MS = 6000.0  # §3.2: CVX in Matlab on an Intel i7


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=64, help="images for the fast solver (and the shared-mask batch)")
    parser.add_argument("--reference", type=int, default=2, help="images solved by cvxpy per pattern")
    parser.add_argument("--patterns", default="1-6", help="hole patterns, e.g. '1-6' or '1,5'")
    parser.add_argument("--kind", default="paper", choices=sorted(KINDS))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.count < 1 or args.reference < 1:
        parser.error("--count and --reference must be at least 1")

    print(f"Eq. 6, kind={args.kind}, ms per 64x64x3 image; cvxpy on {args.reference} image(s), "
          f"fast solver on {args.count} per pattern\n")
    header = (f"{'pattern':33} {'cvxpy':>8} {'(solver)':>9} {'own mask':>9} {'shared':>8}"
              f" {'own/cvx':>8} {'shared/cvx':>10} {'vs paper 6 s':>13}")
    print(header)
    print("-" * len(header))
    worst = {"own mask (a factorisation per image)": float("inf"),
             f"shared mask (batch of {args.count})": float("inf")}
    for number in parse_patterns(args.patterns):
        t = time_solvers(args.count, args.reference, seed=args.seed, pattern=number, kind=args.kind)
        own, shared = t["cvxpy_ms"] / t["fast_own_mask_ms"], t["cvxpy_ms"] / t["fast_shared_mask_ms"]
        for key, speedup in zip(worst, (own, shared)):
            worst[key] = min(worst[key], speedup)
        print(f"({number}) {PATTERNS[number].name:29} {t['cvxpy_ms']:8.1f} {t['cvxpy_solver_only_ms']:9.1f}"
              f" {t['fast_own_mask_ms']:9.2f} {t['fast_shared_mask_ms']:8.2f} {own:7.0f}x {shared:9.0f}x"
              f" {PAPER_MS / t['fast_own_mask_ms']:7.0f}x-{PAPER_MS / t['fast_shared_mask_ms']:.0f}x")
    print("\ncvxpy = modelling + solver; (solver) = CLARABEL's own time; own mask = a factorisation per image;"
          f"\nshared = one mask for {args.count} images; 'vs paper' = the paper's 6 s per image over the fast solver.")
    print()
    for key, speedup in worst.items():
        verdict = "PASS" if speedup >= TARGET else "FAIL"
        print(f"{verdict}: {key:38} smallest speedup over cvxpy {speedup:5.0f}x (target >= {TARGET:.0f}x)")


if __name__ == "__main__":
    main()

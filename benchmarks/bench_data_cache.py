"""Benchmark: loading a CelebA partition, first time (decode and frame every file) against the
second time (from the cache), in the same run, in a fresh temporary cache folder.

Target: the cached load of the whole train partition (about 15k faces with the full CelebA
layout's subset) takes well under a second; the printed ratio shows what the cache saves.

    python benchmarks/bench_data_cache.py [--data DIR] [--partition train] [--repeat 3] [--record docs/benchmarks.md]

``--record docs/benchmarks.md`` also writes the printed figures between docs/benchmarks.md's
``<!-- bench_data_cache:start -->`` and ``<!-- bench_data_cache:end -->`` markers.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

from pathlib import Path

from inpaintkit.reports import check_record_target, record_block

TARGET_S = 1.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="CelebA folder (default: INPAINTKIT_DATA)")
    parser.add_argument("--partition", default="train")
    parser.add_argument("--count", type=int, default=None, help="only the first N faces")
    parser.add_argument("--repeat", type=int, default=3, help="cached loads to time (the best is reported)")
    parser.add_argument("--record", type=Path, default=None, metavar="FILE",
                        help="also write the figures between this file's bench_data_cache markers")
    args = parser.parse_args(argv)
    if args.record is not None:  # fail before the run, not after it
        check_record_target(args.record, "bench_data_cache")
    began_at = time.strftime("%Y-%m-%d")
    load = os.getloadavg()[0]

    with tempfile.TemporaryDirectory(prefix="inpaintkit-cache-") as cache:
        os.environ["INPAINTKIT_CACHE"] = cache  # read by config.cache_dir() at each load
        from inpaintkit.data import celeba_root, load_celeba

        root = args.data or celeba_root(required=True)
        began = time.perf_counter()
        faces = load_celeba(root, args.partition, args.count, progress=False)
        first = time.perf_counter() - began
        cached = []
        for _ in range(max(1, args.repeat)):
            began = time.perf_counter()
            again = load_celeba(root, args.partition, args.count, progress=False)
            cached.append(time.perf_counter() - began)
        assert again.shape == faces.shape and (again == faces).all(), "the cache changed the faces"
    best = min(cached)
    verdict = "PASS" if best < TARGET_S else "FAIL"
    text = "\n".join([
        f"{len(faces)} {args.partition} faces, {faces.nbytes / 2**20:.0f} MiB as float32; load average "
        f"{load:.1f} at the start, {began_at}.", "",
        f"- first load (decode + frame + write cache): {first:.2f} s",
        f"- cached load, best of {len(cached)}: {best:.3f} s ({first / best:.0f}× faster)",
        f"- {verdict}: cached load {best:.3f} s (target < {TARGET_S:.0f} s)"]) + "\n"
    print(text)
    if args.record is not None:
        record_block(args.record, "bench_data_cache", text)
        print(f"figures written into {args.record}")


if __name__ == "__main__":
    main()

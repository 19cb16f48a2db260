"""Benchmark: one step of the kit's latent optimiser (Eq. 2/3 with Adam and clipping) against the
bare G + D forward and backward pass to z at the same batch size, measured in the same run
(target: ≤ 1.15× the bare step), and the process's peak memory at batch 64.

    python benchmarks/bench_inpainting.py [--batch 64] [--steps 30] [--width 64]
"""
from __future__ import annotations

import argparse
import resource
import time

import numpy as np


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--width", type=int, default=64)
    args = parser.parse_args()

    import tensorflow as tf

    from inpaintkit import config, dcgan, masks
    from inpaintkit.inpainting import semantic_inpaint

    config.seed_everything(0)
    G, D = dcgan.build_generator(args.width), dcgan.build_discriminator(args.width)
    y = G(dcgan.sample_z(args.batch, seed=1), training=False).numpy()
    known = masks.make_masks(5, args.batch, seed=0)
    rss_before = peak_rss_mib()

    z = tf.Variable(dcgan.sample_z(args.batch, seed=2))

    @tf.function
    def bare_step():
        with tf.GradientTape() as tape:
            x = G(z, training=False)
            loss = tf.reduce_sum(tf.abs(x)) + tf.reduce_sum(D(x, training=False))
        return tape.gradient(loss, z)

    def time_bare() -> float:
        bare_step().numpy()
        began = time.perf_counter()
        for _ in range(args.steps):
            bare_step().numpy()
        return (time.perf_counter() - began) / args.steps

    def time_kit() -> float:
        semantic_inpaint(y, known, G, D, steps=2, progress=False)  # trace and warm up
        began = time.perf_counter()
        semantic_inpaint(y, known, G, D, steps=args.steps, progress=False)
        return (time.perf_counter() - began) / args.steps

    bare, kit = [], []
    for _ in range(2):  # interleaved, best of each, so machine load hits both alike
        bare.append(time_bare())
        kit.append(time_kit())
    ratio = min(kit) / min(bare)
    print(f"batch {args.batch}, width {args.width}, {args.steps} steps, best of 2 interleaved runs")
    print(f"bare G + D forward/backward to z : {1000 * min(bare):8.1f} ms/step")
    print(f"kit optimiser step (Eq. 3, Adam) : {1000 * min(kit):8.1f} ms/step   ratio {ratio:.3f} "
          f"(target <= 1.15: {'PASS' if ratio <= 1.15 else 'FAIL'})")
    print(f"per image and step               : {1000 * min(kit) / args.batch:8.2f} ms; 1500 steps = "
          f"{1500 * min(kit) / args.batch:.1f} s per image")
    print(f"peak resident memory             : {peak_rss_mib():8.0f} MiB (was {rss_before:.0f} MiB "
          f"after building the models)")


if __name__ == "__main__":
    main()

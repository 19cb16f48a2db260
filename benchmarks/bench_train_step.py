"""Benchmark: the kit's DCGAN train step against a bare Keras train step of the same models.

Prints images per second of both, measured in the same run (target: kit ≥ 0.9× bare), whether
the tf.data input pipeline ever starves the step (time waiting for a batch, and the pipeline's
own throughput against the step's), and the kit's step under Keras' mixed_bfloat16 policy against
float32 (target: bf16 ≥ 1.6× the images/s of float32).

    python benchmarks/bench_train_step.py [--steps 30] [--batch 64] [--width 64] [--record docs/benchmarks.md]

``--record docs/benchmarks.md`` also writes the printed figures between docs/benchmarks.md's bench_train_step
markers and into the "Benchmark" section of the model card.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from inpaintkit import training

from inpaintkit.reports import check_record_target, record_block


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--images", type=int, default=2048, help="size of the (synthetic) training set")
    parser.add_argument("--record", type=Path, default=None, metavar="FILE",
                        help="also write the figures between this file's bench_train_step markers")
    args = parser.parse_args()
    if args.record is not None:  # fail before the run, not after it
        check_record_target(args.record, "bench_train_step")
    load = os.getloadavg()[0]

    import keras
    import tensorflow as tf

    from inpaintkit import config, dcgan
    from inpaintkit.data import train_dataset

    config.seed_everything(0)
    images = np.random.default_rng(0).uniform(-1, 1, (args.images, 64, 64, 3)).astype(np.float32)

    # The bare baseline: same models, a plain tf.function step on one resident batch.
    G, D = dcgan.build_generator(args.width), dcgan.build_discriminator(args.width)
    g_opt, d_opt = keras.optimizers.Adam(2e-4, 0.5, 0.9), keras.optimizers.Adam(2e-4, 0.5, 0.9)

    @tf.function
    def bare_step(real):
        z = tf.random.uniform((args.batch, dcgan.Z_DIM), -1, 1)
        with tf.GradientTape() as gt, tf.GradientTape() as dt:
            fake = G(z, training=True)
            rl, fl = D(real, training=True), D(fake, training=True)
            dl, gl = dcgan.discriminator_loss(rl, fl), dcgan.generator_loss(fl)
        d_opt.apply_gradients(zip(dt.gradient(dl, D.trainable_variables), D.trainable_variables))
        g_opt.apply_gradients(zip(gt.gradient(gl, G.trainable_variables), G.trainable_variables))
        return dl

    trainer = training.DCGANTrainer(training.TrainConfig(batch_size=args.batch, width=args.width))
    bf16 = training.DCGANTrainer(training.TrainConfig(batch_size=args.batch, width=args.width,
                                                precision="mixed_bfloat16"))
    resident = tf.constant(images[: args.batch])

    def time_bare() -> float:
        bare_step(resident).numpy()
        began = time.perf_counter()
        for _ in range(args.steps):
            bare_step(resident)
        bare_step(resident).numpy()
        return (args.steps + 1) * args.batch / (time.perf_counter() - began)

    def time_kit(trainer=trainer) -> tuple[float, float]:
        batches = iter(train_dataset(images, args.batch, seed=0, epoch=0).repeat())
        trainer.train_step(next(batches))["d_loss"].numpy()
        waited, began = 0.0, time.perf_counter()
        for _ in range(args.steps):
            t0 = time.perf_counter()
            batch = next(batches)
            waited += time.perf_counter() - t0
            logs = trainer.train_step(batch)
        logs["d_loss"].numpy()
        return args.steps * args.batch / (time.perf_counter() - began), waited

    # Interleave the two so that machine load affects both alike; keep the best of each.
    bare, kit, waits, half = [], [], [], []
    for _ in range(2):
        bare.append(time_bare())
        rate, waited = time_kit()
        kit.append(rate)
        waits.append(waited)
        half.append(time_kit(bf16)[0])
    bare_rate, kit_rate, bf16_rate = max(bare), max(kit), max(half)
    step_seconds = args.batch / kit_rate

    pipeline = iter(train_dataset(images, args.batch, seed=0, epoch=1).repeat())
    next(pipeline)
    began = time.perf_counter()
    for _ in range(200):
        next(pipeline)
    pipeline_rate = 200 * args.batch / (time.perf_counter() - began)

    ratio = kit_rate / bare_rate
    wait_share = min(waits) / (args.steps * step_seconds)
    lines = [
        f"batch {args.batch}, width {args.width}, {args.steps} timed steps, best of 2 interleaved runs; "
        f"load average {load:.1f} at the start, {time.strftime('%Y-%m-%d')}",
        f"bare Keras train step : {bare_rate:8.1f} images/s",
        f"kit train step        : {kit_rate:8.1f} images/s   ratio {ratio:.3f}  (target >= 0.9: "
        f"{'PASS' if ratio >= 0.9 else 'FAIL'})",
        f"input pipeline alone  : {pipeline_rate:8.0f} images/s  ({pipeline_rate / kit_rate:.0f}x the step)",
        f"time waiting for input: {100 * wait_share:.2f} % of step time  "
        f"({'never starves' if wait_share < 0.05 and pipeline_rate > kit_rate else 'STARVES'})",
        f"kit step, mixed_bfloat16: {bf16_rate:6.1f} images/s   bf16 / float32 {bf16_rate / kit_rate:.2f}x  "
        f"(target >= 1.6x: {'PASS' if bf16_rate >= 1.6 * kit_rate else 'FAIL'})",
    ]
    print("\n".join(lines))
    if args.record:
        record_block(args.record, "bench_train_step", "```\n" + "\n".join(lines) + "\n```\n")


if __name__ == "__main__":
    main()

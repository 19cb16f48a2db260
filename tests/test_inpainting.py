"""Eq. 2: the batched latent optimiser and semantic_inpaint."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from inpaintkit import dcgan, inpainting, losses, masks
from inpaintkit.errors import InputError


def test_loss_goes_down_and_z_stays_in_the_cube(small_models, reachable_faces):
    G, D = small_models
    known = masks.make_masks(1, 3, seed=0)
    result = inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=40, seed=1, progress=False)
    assert result.losses.shape == result.content.shape == result.perceptual.shape == (40, 3)
    assert np.all(result.losses[-1] < result.losses[0])
    assert np.abs(result.z).max() <= 1.0
    assert result.x_g.shape == (3, 64, 64, 3) and result.z.shape == (3, dcgan.Z_DIM)
    np.testing.assert_allclose(result.x_g, G(result.z, training=False).numpy(), atol=1e-6)
    # The trace is Eq. 3 = Eq. 4 + λ·Eq. 5, and its first row is the loss at the starting z.
    np.testing.assert_allclose(result.losses, result.content + losses.LAMBDA * result.perceptual, rtol=1e-6)
    x0 = G(dcgan.sample_z(3, seed=1), training=False)
    first = losses.inpainting_loss(x0, reachable_faces, result.weights, D(x0, training=False)).numpy()
    np.testing.assert_allclose(result.losses[0], first, rtol=1e-5)


def test_same_seed_same_numbers(small_models, reachable_faces):
    G, D = small_models
    known = masks.make_mask(5)
    a = inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=10, seed=3, progress=False)
    b = inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=10, seed=3, progress=False)
    c = inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=10, seed=4, progress=False)
    np.testing.assert_array_equal(a.z, b.z)
    np.testing.assert_array_equal(a.losses, b.losses)
    np.testing.assert_array_equal(a.x_g, b.x_g)
    assert not np.array_equal(a.z, c.z)


def test_images_in_a_batch_are_optimised_independently(small_models, reachable_faces):
    G, D = small_models
    known = masks.make_masks(2, 3, seed=1)
    z0 = dcgan.sample_z(3, seed=5)
    batch = inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=15, z0=z0, progress=False)
    for i in (0, 2):
        alone = inpainting.semantic_inpaint(reachable_faces[i], known[i], G, D, steps=15, z0=z0[i:i + 1],
                                            progress=False)
        # Not bit for bit: convolution kernels block a batch of 3 and of 1 differently (≈1 ulp).
        np.testing.assert_allclose(batch.z[i], alone.z[0], rtol=0, atol=1e-6)
        np.testing.assert_allclose(batch.losses[:, i], alone.losses[:, 0], rtol=1e-5)


def test_a_long_run_contains_the_short_one(small_models, reachable_faces):
    G, D = small_models
    known = masks.make_mask(5)
    short = inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=8, seed=2, progress=False)
    long = inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=16, seed=2, keep_z_at=(4, 8),
                                       progress=False)
    assert sorted(long.z_at) == [4, 8]
    np.testing.assert_array_equal(short.z, long.z_at[8])
    np.testing.assert_array_equal(short.losses, long.losses[:8])
    with pytest.raises(ValueError, match="outside 1…16"):
        inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=16, keep_z_at=(17,), progress=False)


def test_clipping_after_every_step(small_models):
    G, D = small_models
    big_steps = inpainting.optimize_latent(G, D, lambda x, logits: -1e6 * x[:, 0, 0, 0], 2, steps=5,
                                           learning_rate=5.0, keep_z_at=(1,), progress=False)
    assert np.abs(big_steps.z_at[1]).max() <= 1.0 and np.abs(big_steps.z).max() <= 1.0
    assert np.any(np.abs(big_steps.z_at[1]) == 1.0)


def test_generic_loss_with_arguments_and_parts_compiles_once(small_models, reachable_faces):
    G, D = small_models

    def l1_to(x, logits, target):
        distance = tf.reduce_sum(tf.abs(x - target), axis=[1, 2, 3])
        return {"loss": distance, "distance": distance, "logit": logits[:, 0]}

    first = inpainting.optimize_latent(G, D, l1_to, 3, steps=4, loss_args=(reachable_faces,), progress=False)
    inpainting.optimize_latent(G, D, l1_to, 3, steps=4, seed=1, loss_args=(-reachable_faces,), progress=False)
    assert sorted(first.parts) == ["distance", "logit"]
    np.testing.assert_array_equal(first.parts["distance"], first.losses)
    step = inpainting._compiled_step(G, D, l1_to, inpainting.BETA_1, inpainting.BETA_2)
    assert step.experimental_get_tracing_count() == 1  # new data, same compiled step


def test_loss_fn_must_give_one_value_per_image(small_models):
    G, D = small_models
    with pytest.raises(ValueError, match="one value per image"):
        inpainting.optimize_latent(G, D, lambda x, logits: tf.reduce_sum(x), 2, steps=1, progress=False)
    with pytest.raises(FloatingPointError, match="not finite"):
        inpainting.optimize_latent(G, D, lambda x, logits: tf.reduce_sum(x, axis=[1, 2, 3]) / 0.0, 2, steps=1,
                                   progress=False)


def test_snapshots(small_models, reachable_faces):
    G, D = small_models
    result = inpainting.semantic_inpaint(reachable_faces, masks.make_mask(4), G, D, steps=6, snapshot_every=3,
                                         progress=False)
    assert sorted(result.snapshots) == [0, 3, 6]
    np.testing.assert_array_equal(result.snapshots[6], result.x_g)


def test_bad_input_is_named(small_models, reachable_faces):
    G, D = small_models
    known = masks.make_mask(5)
    with pytest.raises(ValueError, match="shape"):
        inpainting.semantic_inpaint(reachable_faces[:, :32], known, G, D, steps=1, progress=False)
    as_bytes = np.round((reachable_faces + 1) * 127.5).astype(np.uint8)
    as_bytes[0, 0, 0] = [0, 255, 0]
    with pytest.raises(ValueError, match=r"found \[0, 255\].*127\.5"):  # floats on 0-255: refused
        inpainting.semantic_inpaint(as_bytes.astype(np.float32), known, G, D, steps=1, progress=False)
    with pytest.warns(UserWarning, match="uint8"):  # uint8 is unambiguous: converted, with a note
        inpainting.semantic_inpaint(as_bytes, known, G, D, steps=1, progress=False)
    with pytest.raises(masks.MaskError, match="2 masks for a batch of 3"):
        inpainting.semantic_inpaint(reachable_faces, masks.make_masks(5, 2), G, D, steps=1, progress=False)
    with pytest.raises(masks.MaskError, match="shape"):
        inpainting.semantic_inpaint(reachable_faces, known[:32], G, D, steps=1, progress=False)
    with pytest.raises(masks.MaskError, match="no missing pixel"):
        inpainting.semantic_inpaint(reachable_faces, np.ones((64, 64), bool), G, D, steps=1, progress=False)
    with pytest.raises(ValueError, match="NaN"):
        inpainting.semantic_inpaint(np.full_like(reachable_faces, np.nan), known, G, D, steps=1, progress=False)
    with pytest.raises(ValueError, match="odd"):
        inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=1, window=6, progress=False)
    with pytest.raises(ValueError, match="λ"):
        inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=1, lam=-1.0, progress=False)
    with pytest.raises(ValueError, match="steps"):
        inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=0, progress=False)


def test_step_sizes_are_a_constant_or_a_schedule_and_refuse_nonsense():
    np.testing.assert_allclose(inpainting.step_sizes(0.003, 3), [0.003] * 3)
    falling = inpainting.step_sizes(inpainting.Geometric(0.03, 0.003), 3)
    np.testing.assert_allclose(falling, [0.03, np.sqrt(0.03 * 0.003), 0.003], rtol=1e-6)
    for bad in (0.0, -1.0, float("nan"), lambda i, n: 0.0):
        with pytest.raises(InputError, match="learning_rate"):
            inpainting.step_sizes(bad, 3)
    with pytest.raises(InputError, match="start"):
        inpainting.Geometric(0.0, 0.1)


def test_a_larger_step_moves_z_further_and_a_schedule_is_applied_step_by_step(small_models, reachable_faces):
    G, D = small_models
    known = masks.make_masks(5, 3, seed=0)
    runs = {rate: inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=4, learning_rate=rate, seed=1,
                                              progress=False) for rate in (0.001, 0.01)}
    start = dcgan.sample_z(3, seed=1)
    moved = {rate: np.abs(run.z - start).max() for rate, run in runs.items()}
    assert moved[0.01] > 5 * moved[0.001]  # Adam's first steps move each coordinate by about the step
    constant = inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=4, learning_rate=0.01, seed=1,
                                           progress=False)
    as_schedule = inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=4, seed=1, progress=False,
                                              learning_rate=lambda i, n: 0.01)
    np.testing.assert_array_equal(constant.z, as_schedule.z)  # the same numbers whichever way it is given

"""Eq. 2: the batched latent optimiser and semantic_inpaint."""
from __future__ import annotations

import numpy as np
import pytest

from inpaintkit import dcgan, inpainting, masks


def test_loss_goes_down_and_z_stays_in_the_cube(small_models, reachable_faces):
    G, D = small_models
    known = masks.make_masks(1, 3, seed=0)
    result = inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=40, seed=1, progress=False)
    assert result.losses.shape == (40, 3)
    assert np.all(result.losses[-1] < result.losses[0])
    assert np.abs(result.z).max() <= 1.0
    assert result.x_g.shape == (3, 64, 64, 3)


def test_same_seed_same_numbers(small_models, reachable_faces):
    G, D = small_models
    known = masks.make_mask(5)
    a = inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=10, seed=3, progress=False)
    b = inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=10, seed=3, progress=False)
    np.testing.assert_array_equal(a.z, b.z)
    np.testing.assert_array_equal(a.losses, b.losses)


def test_images_in_a_batch_are_optimised_independently(small_models, reachable_faces):
    G, D = small_models
    known = masks.make_masks(2, 3, seed=1)
    z0 = dcgan.sample_z(3, seed=5)
    batch = inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=15, z0=z0, progress=False)
    alone = inpainting.semantic_inpaint(reachable_faces[1:2], known[1:2], G, D, steps=15, z0=z0[1:2], progress=False)
    np.testing.assert_allclose(batch.z[1], alone.z[0], atol=1e-5)


def test_a_long_run_contains_the_short_one(small_models, reachable_faces):
    G, D = small_models
    known = masks.make_mask(5)
    short = inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=8, seed=2, progress=False)
    long = inpainting.semantic_inpaint(reachable_faces, known, G, D, steps=16, seed=2, keep_z_at=(8,), progress=False)
    np.testing.assert_array_equal(short.z, long.z_at[8])


def test_clipping_after_every_step(small_models, reachable_faces):
    G, D = small_models
    big_steps = inpainting.optimize_latent(G, D, lambda x, logits: -1e6 * x[:, 0, 0, 0], 2, steps=5,
                                           learning_rate=5.0, progress=False)
    assert np.abs(big_steps.z).max() <= 1.0
    assert np.any(np.abs(big_steps.z) == 1.0)


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
    with pytest.raises(ValueError, match="127.5"):
        inpainting.semantic_inpaint((reachable_faces + 1) * 127.5, known, G, D, steps=1, progress=False)
    with pytest.raises(masks.MaskError, match="2 masks for a batch of 3"):
        inpainting.semantic_inpaint(reachable_faces, masks.make_masks(5, 2), G, D, steps=1, progress=False)
    with pytest.raises(masks.MaskError, match="no missing pixel"):
        inpainting.semantic_inpaint(reachable_faces, np.ones((64, 64), bool), G, D, steps=1, progress=False)
    with pytest.raises(ValueError, match="NaN"):
        inpainting.semantic_inpaint(np.full_like(reachable_faces, np.nan), known, G, D, steps=1, progress=False)

"""Eq. 7–9 and the pipeline of Fig. 8."""
from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf

from inpaintkit import dcgan, masks, pipeline, refinement, shortcomings


def test_refinement_loss_by_hand():
    """Known pixels count fully (Eq. 7), missing ones with µ (Eq. 8), plus λ·log(1 − D)."""
    known = np.zeros((1, 64, 64), np.float32)
    known[0, :, :32] = 1.0                         # left half known
    x = tf.zeros((1, 64, 64, 3))
    x_b = tf.ones((1, 64, 64, 3))
    value = refinement.refinement_loss(x, x_b, known, tf.constant([0.5]), tf.constant([[0.0]]), lam=0.1)
    half = 64 * 32 * 3
    assert value.numpy()[0] == pytest.approx(half + 0.5 * half + 0.1 * np.log(0.5), rel=1e-6)


def test_mu_weighs_the_missing_pixels_not_the_known_ones():
    """An asymmetric case: a quarter known, three quarters missing, and a different error on each,
    so that µ on the wrong set (the swap the paper's text makes) gives another number."""
    known = np.zeros((1, 64, 64), np.float32)
    known[0, :, :16] = 1.0                          # the left quarter is known
    x_b = np.zeros((1, 64, 64, 3), np.float32)
    x = np.where(known[..., None] > 0, 0.25, 0.5).astype(np.float32)  # error 0.25 known, 0.5 missing
    known_count, missing_count = 64 * 16 * 3, 64 * 48 * 3
    mu, lam = 0.2, 0.0
    value = refinement.refinement_loss(tf.constant(x), tf.constant(x_b), known, tf.constant([mu]),
                                       tf.constant([[0.0]]), lam=lam).numpy()[0]
    right = 0.25 * known_count + mu * 0.5 * missing_count
    swapped = mu * 0.25 * known_count + 0.5 * missing_count
    assert value == pytest.approx(right, rel=1e-6)
    assert abs(right - swapped) > 100  # the two readings really differ here
    # Error only in the hole: the loss is µ times it; only on the known pixels: µ plays no part.
    hole_only = np.where(known[..., None] > 0, 0.0, 0.5).astype(np.float32)
    for m in (0.1, 0.7):
        got = refinement.refinement_loss(tf.constant(hole_only), tf.constant(x_b), known, tf.constant([m]),
                                         tf.constant([[0.0]]), lam=lam).numpy()[0]
        assert got == pytest.approx(m * 0.5 * missing_count, rel=1e-6)


def test_no_stage_reads_the_hidden_pixels_of_y(small_models, reachable_faces):
    """The evaluation passes the original faces as y: every stage must ignore y inside the hole."""
    G, D = small_models
    known = np.stack([masks.make_mask(n, seed=n) for n in (1, 5, 6)])
    other = np.where(known[..., None], reachable_faces,
                     np.random.default_rng(3).uniform(-1, 1, reachable_faces.shape)).astype(np.float32)
    assert not np.array_equal(other, reachable_faces)
    runs = [pipeline.fig8(y, known, G, D, mu=[0.66, 0.66, 0.2], inpaint_steps=3, refine_steps=3,
                          longer_inpainting=2, progress=False) for y in (reachable_faces, other)]
    for stage in ("x_g", "x_b", "x_r", "x", "z_g", "z_r", "inpaint_losses", "refine_losses", "x_b_longer"):
        np.testing.assert_array_equal(getattr(runs[0], stage), getattr(runs[1], stage), err_msg=stage)
    for init in refinement.REFINE_INITS:
        a, b = (pipeline.fig8(y, known, G, D, mu=0.3, inpaint_steps=2, refine_steps=2, refine_init=init,
                              progress=False).x for y in (reachable_faces, other))
        np.testing.assert_array_equal(a, b, err_msg=init)


def test_paper_mu():
    assert [refinement.paper_mu(n) for n in range(1, 7)] == [0.66, 0.33, 0.2, 0.33, 0.66, 0.2]
    assert refinement.paper_mu("center") == 0.66


def test_refine_lowers_eq9_and_global_consensus(small_models, reachable_faces):
    G, D = small_models
    known = masks.make_masks(5, 3, seed=0)
    x_b = reachable_faces
    z_start = dcgan.sample_z(3, seed=9)
    before = G(z_start, training=False).numpy()
    result = refinement.refine(x_b, known, G, D, mu=0.66, steps=40, init="inpainting", z_init=z_start,
                               progress=False)
    assert np.all(result.losses[-1] < result.losses[0])
    assert (shortcomings.consensus_error(result.x_r, reachable_faces, known).mean()
            < shortcomings.consensus_error(before, reachable_faces, known).mean())


def test_refine_validates_mu_and_init(small_models, reachable_faces):
    G, D = small_models
    known = masks.make_mask(5)
    with pytest.raises(ValueError, match="µ"):
        refinement.refine(reachable_faces, known, G, D, mu=-1, steps=1, init="fresh", progress=False)
    with pytest.raises(ValueError, match="z_init"):
        refinement.refine(reachable_faces, known, G, D, mu=0.3, steps=1, init="inpainting", progress=False)
    with pytest.raises(ValueError, match="init"):
        refinement.refine(reachable_faces, known, G, D, mu=0.3, steps=1, init="random", progress=False)
    ok = refinement.refine(reachable_faces, known, G, D, mu=[0.1, 0.2, 0.3], steps=2, init="fresh", progress=False)
    np.testing.assert_allclose(ok.mu, [0.1, 0.2, 0.3])


def test_pipeline_keeps_every_stage_and_known_pixels(small_models, reachable_faces):
    G, D = small_models
    known = masks.make_masks(1, 3, seed=2)
    result = pipeline.fig8(reachable_faces, known, G, D, mu=refinement.paper_mu(1), inpaint_steps=5, refine_steps=5,
                           original=reachable_faces, progress=False)
    for stage in (result.x_g, result.x_b, result.x_r, result.x):
        assert stage.shape == reachable_faces.shape
    np.testing.assert_array_equal(result.x[known], reachable_faces[known])
    np.testing.assert_array_equal(result.x_b[known], reachable_faces[known])
    assert result.inpaint_losses.shape == (5, 3) and result.refine_losses.shape == (5, 3)
    metrics = result.metrics()
    assert set(metrics) == {"before", "after"} and metrics["after"]["MAE"].shape == (3,)
    assert "MAE" in result.summary()
    figure = result.plot()
    assert len(figure.axes) == 12


def test_pipeline_is_deterministic(small_models, reachable_faces):
    G, D = small_models
    known = masks.make_mask(3, seed=1)
    a = pipeline.fig8(reachable_faces, known, G, D, mu=0.2, inpaint_steps=4, refine_steps=4, progress=False)
    b = pipeline.fig8(reachable_faces, known, G, D, mu=0.2, inpaint_steps=4, refine_steps=4, progress=False)
    np.testing.assert_array_equal(a.x, b.x)


def test_default_init_is_the_measured_one():
    from helpers import ROOT

    stored = json.loads((ROOT / "experiments" / "results" / "refinement_init.json").read_text())
    assert refinement.DEFAULT_INIT == stored["best"]
    assert stored["steps"] == 1500 and stored["n"] >= 32

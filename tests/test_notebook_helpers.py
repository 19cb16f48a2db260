"""The helpers the notebooks call (issue 38): notebook 01's training run that redraws its samples."""
from __future__ import annotations

import numpy as np

from inpaintkit import training, widgets


def test_watch_training_in_chunks_computes_what_one_run_computes(tmp_path, capsys):
    faces = np.random.default_rng(0).uniform(-1, 1, (32, 64, 64, 3)).astype(np.float32)
    config = training.TrainConfig(epochs=2, width=8, batch_size=16, seed=0)
    watched = widgets.watch_training(faces, tmp_path / "watched", config, steps=4, updates=3)
    whole = training.train(faces, tmp_path / "whole", config, max_steps=4, progress=False)
    assert watched["step"] == whole["step"] == 4
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        assert len(watched["history"][key]) == 4
        np.testing.assert_allclose(watched["history"][key], whole["history"][key], rtol=1e-6)
    for a, b in zip(watched["G"].weights, whole["G"].weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
    shown = capsys.readouterr().out
    assert shown.count("<IPython.core.display.Image object>") == 3  # one redraw per chunk, in one place

"""Every exercise check passes its reference solution and fails a planted wrong answer; the
reference answers agree with the kit's own functions where the kit computes the same thing."""
from __future__ import annotations

import numpy as np
import pytest

from inpaintkit import exercises, losses, masks, plotting, shortcomings
from inpaintkit.exercises import SOLUTIONS

# One plausible mistake per exercise (off by one, the other variant, a wrong sign or scale).
WRONG = {
    "00.big_square_share": 0.5,
    "00.ring_size": 38 * 38 - 32 * 32,                         # n = 7's ring
    "00.eye_band": np.pad(np.zeros((15, 64), bool), ((24, 25), (0, 0)), constant_values=True),  # row 39 kept
    "00.psnr": lambda mse: 20 * np.log10(255.0 ** 2 / mse),
    "01.d_loss": lambda r, f: np.mean(np.logaddexp(0, -r)) + np.mean(np.logaddexp(0, -f)),  # fakes as real
    "01.g_loss": lambda f: -np.mean(np.logaddexp(0, f)),        # the saturating log(1 − D(G(z)))
    "01.equilibrium": np.log(2),
    "01.fit_reach": 0.003,
    "02.window_weight": 12 / 49,                               # Yeh's variant
    "02.yeh_weight": 12 / 37,
    "02.lambda_zero": "c",
    "02.adam_first_step": 0.0015,
    "03.paper_kernel": np.array([[1.0, 1, 1], [1, -8, 1], [1, 1, 1]]),
    "03.constant_image": 0.0,
    "03.fill_1d": lambda left, right, n: np.linspace(left, right, n),  # includes the known ends
    "04.band_share_left": 7 / 32,
    "04.band_share_n15": 0.1367,
    "04.own_asymmetry": lambda face: np.abs(face - face[:, ::-1]).mean() * 255,  # [−1, 1] differences ×255
    "05.known_weight_share": 0.75,
    "05.lambda_size": 0.003 * 5.0 / 100,
    "05.swapped_sets": "a",
    "06.mae_bound": 20.0,
    "06.hole_only_ratio": lambda mae, mse, f: mae / np.sqrt(mse),
    "06.psnr_of_mean": 0.0,
}


def test_every_exercise_has_a_reference_and_a_planted_mistake():
    assert set(SOLUTIONS) == set(exercises.EXERCISES) == set(WRONG)
    for notebook in ("00", "01", "02", "03", "04", "05", "06"):
        assert len(exercises.keys(notebook)) >= 3, f"notebook {notebook} needs at least three exercises"


@pytest.mark.parametrize("key", list(exercises.EXERCISES))
def test_reference_passes(key):
    feedback = exercises.check(key, SOLUTIONS[key])
    assert feedback.passed is True and feedback.message.startswith("✓"), feedback.message


@pytest.mark.parametrize("key", list(exercises.EXERCISES))
def test_planted_mistake_fails_with_a_hint(key):
    feedback = exercises.check(key, WRONG[key])
    assert feedback.passed is False and not feedback, feedback.message
    assert "Hint:" in feedback.message


@pytest.mark.parametrize("key", list(exercises.EXERCISES))
def test_no_answer_shows_the_task_and_fails_nothing(key):
    feedback = exercises.check(key, None)
    assert feedback.passed is None and "not answered yet" in feedback.message and "Hint:" in feedback.message


def test_answers_of_the_wrong_kind_get_a_clear_message():
    assert "single number" in exercises.check("02.window_weight", "0.32").message
    assert "shape should be (64, 64)" in exercises.check("00.eye_band", np.ones((32, 32), bool)).message
    assert "should be a function" in exercises.check("00.psnr", 3.0).message
    assert "raised ZeroDivisionError" in exercises.check("03.fill_1d", lambda a, b, n: 1 / 0).message
    assert "one of the letters" in exercises.check("05.swapped_sets", "maybe").message
    with pytest.raises(KeyError, match="no exercise"):
        exercises.check("99.nothing", 1)


def test_references_agree_with_the_kit():
    centre = masks.make_mask(5)
    assert SOLUTIONS["00.ring_size"] == plotting.near_hole_set(centre, window=5).sum()
    assert SOLUTIONS["00.big_square_share"] == pytest.approx(masks.missing_fraction(masks.make_mask(2, seed=0)))
    assert SOLUTIONS["02.window_weight"] == pytest.approx(losses.content_weights(centre)[0, 15, 16])
    assert SOLUTIONS["02.yeh_weight"] == pytest.approx(losses.content_weights(centre, variant="yeh")[0, 15, 16])
    left = masks.make_mask(4)
    assert SOLUTIONS["04.band_share_left"] == pytest.approx((losses.content_weights(left) > 0).sum() / left.sum())
    assert SOLUTIONS["04.band_share_n15"] == pytest.approx(
        (losses.content_weights(centre, n=15) > 0).sum() / centre.sum())
    face = np.random.default_rng(0).uniform(-1, 1, (64, 64, 3)).astype(np.float32)
    assert SOLUTIONS["04.own_asymmetry"](face) == pytest.approx(shortcomings.mirror_color_gap(face[None], left)[0],
                                                                rel=1e-4)
    logits = np.random.default_rng(1).normal(0, 3, (2, 8, 1)).astype(np.float32)
    from inpaintkit import dcgan

    assert SOLUTIONS["01.d_loss"](*logits) == pytest.approx(float(dcgan.discriminator_loss(*logits)), rel=1e-5)
    assert SOLUTIONS["01.g_loss"](logits[1]) == pytest.approx(float(dcgan.generator_loss(logits[1])), rel=1e-5)
    assert SOLUTIONS["05.lambda_size"] == pytest.approx(-0.003 * float(losses.perceptual_loss(np.array([[5.0]]))[0]))


def test_every_exercise_has_a_cell_in_its_notebook_and_each_notebook_ends_with_questions():
    import json
    import re
    from pathlib import Path

    found = {}
    for path in sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        for key in re.findall(r'exercises\.check\("([^"]+)", answer\)', text):
            found[key] = path.name
        assert "## Check your understanding" in "".join(cells[-1]["source"]), f"{path.name} ends without questions"
    assert set(found) == set(exercises.EXERCISES)
    assert all(found[key].startswith(key[:2]) for key in found), "an exercise sits in another notebook"

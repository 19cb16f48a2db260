"""Principle 4 of issue 37: values mean what they say. Image arrays on another scale than the one
a function expects (uint8, float [0, 1], float 0–255) are refused with how to convert, or, for
uint8 (unambiguous), converted with a warning; every number a flag, argument or environment
variable takes is checked against its meaning, with one line naming it, before anything is written."""
from __future__ import annotations

import math

import numpy as np
import pytest

from inpaintkit import blending, evaluation, inpainting, masks, metrics, pipeline, refinement, training
from inpaintkit.cli import main
from inpaintkit.errors import InputError


class Unusable:
    """G or D that fails if used: every check must come before the first model call."""

    input_shape = (None, 100)

    def __call__(self, *args, **kwargs):
        raise AssertionError("the model was run before the arguments were checked")


@pytest.fixture(scope="module")
def images():
    """Two face-like images in [−1, 1] (dark and bright pixels), and the pattern-5 mask."""
    rng = np.random.default_rng(3)
    return rng.uniform(-1, 1, (2, 64, 64, 3)).astype(np.float32), masks.make_mask(5)


SCALES = {
    "float [0, 1]": (lambda x: (x + 1) / 2, r"lies in \[0, 1\].*convert it with image \* 2 − 1"),
    "float 0–255": (lambda x: (x + 1) * 127.5, r"must lie in \[-1, 1\].*looks like 0–255: use image / 127.5 − 1"),
}


def callers(images):
    """Every public function that takes images in [−1, 1], as (name, call with one image array replaced)."""
    faces, known = images
    G = D = Unusable()
    return {
        "fig8 y": lambda bad: pipeline.fig8(bad, known, G, D, mu=0.5, inpaint_steps=1, refine_steps=1),
        "fig8 original": lambda bad: pipeline.fig8(faces, known, G, D, mu=0.5, inpaint_steps=1, refine_steps=1,
                                                   original=bad),
        "semantic_inpaint": lambda bad: inpainting.semantic_inpaint(bad, known, G, D, steps=1),
        "refine": lambda bad: refinement.refine(bad, known, G, D, mu=0.5, steps=1),
        "check_images": lambda bad: inpainting.check_images(bad),
        "poisson_blend y": lambda bad: blending.poisson_blend(bad, known, faces),
        "poisson_blend x_g": lambda bad: blending.poisson_blend(faces, known, bad),
        "image_metrics result": lambda bad: metrics.image_metrics(bad, faces),
        "image_metrics original": lambda bad: metrics.image_metrics(faces, bad),
        "to_255": lambda bad: metrics.to_255(bad),
        "train": lambda bad: training.train(bad, "/nonexistent/never-written", training.TrainConfig(batch_size=2),
                                            progress=False),
        "evaluate": lambda bad: evaluation.evaluate(bad, ["a", "b"], G, D, "/nonexistent/never-written", steps=1,
                                                    refine_steps=1, progress=False),
        "evaluate_baselines": lambda bad: evaluation.evaluate_baselines(bad, "/nonexistent/never-written",
                                                                        patterns=(5,)),
    }


@pytest.mark.parametrize("scale", sorted(SCALES))
@pytest.mark.parametrize("caller", ["fig8 y", "fig8 original", "semantic_inpaint", "refine", "check_images",
                                    "poisson_blend y", "poisson_blend x_g", "image_metrics result",
                                    "image_metrics original", "to_255", "train", "evaluate", "evaluate_baselines"])
def test_images_on_another_scale_are_refused_with_how_to_convert(images, caller, scale):
    convert, message = SCALES[scale]
    with pytest.raises(InputError, match=message):
        callers(images)[caller](convert(images[0]))


def test_real_images_and_flat_ones_pass(images):
    faces, known = images
    inpainting.check_images(faces)
    for flat in (0.0, 1.0, -1.0, 0.5):  # grey, white, black, light grey: one value, no scale to guess
        inpainting.check_images(np.full((64, 64, 3), flat, np.float32))
    # x_g = 0 (the smooth baseline's guide) is a flat image too.
    blending.poisson_blend(faces, known, np.zeros_like(faces), kind="laplacian")


@pytest.mark.parametrize("caller", ["image_metrics", "poisson_blend", "check_images"])
def test_uint8_images_are_converted_with_a_warning_and_give_the_float_result(images, caller):
    faces, known = images
    as_uint8 = np.clip(np.rint((faces + 1) * 127.5), 0, 255).astype(np.uint8)
    exact = as_uint8.astype(np.float32) / 127.5 - 1
    run = {"image_metrics": lambda x: metrics.image_metrics(x, exact)["MAE"],
           "poisson_blend": lambda x: blending.poisson_blend(x, known, exact),
           "check_images": lambda x: inpainting.check_images(x)}[caller]
    with pytest.warns(UserWarning, match=r"is uint8 \(0–255\): converted to the kit's \[−1, 1\]"):
        converted = run(as_uint8)
    np.testing.assert_allclose(converted, run(exact), atol=1e-6)


# ----------------------------------------------------------------------------- numbers of the Python API
@pytest.mark.parametrize("setting, message", [
    (dict(seed=-1), "seed must be a whole number ≥ 0"),
    (dict(seed=1.5), "seed must be a whole number ≥ 0"),
    (dict(z0=np.zeros((3, 100))), r"z0 must have shape \(2, 100\)"),
    (dict(z0=np.full((2, 100), np.nan)), "z0 holds NaN"),
    (dict(z_fresh=np.zeros((2, 99))), r"z_fresh must have shape \(2, 100\)"),
    (dict(learning_rate=0.0), "learning_rate must be a positive finite number"),
    (dict(learning_rate=float("nan")), "learning_rate must be a positive finite number"),
    (dict(learning_rate=lambda i, n: 0.01 if i < n - 1 else -1.0), "learning_rate must be a positive finite"),
    (dict(lam="0.003"), "λ must be a finite number ≥ 0"),
    (dict(mu=float("inf")), "µ must be a finite number ≥ 0"),
    (dict(longer_inpainting=-2), "longer_inpainting must be a whole number"),
    (dict(inpaint_steps=2.5), "inpaint_steps must be a whole number"),
    (dict(refine_steps=True), "refine_steps must be a whole number"),
])
def test_fig8_checks_every_number_before_the_first_step(images, setting, message):
    faces, known = images
    args = dict(mu=0.5, inpaint_steps=2, refine_steps=2, progress=False) | setting
    with pytest.raises(InputError, match=message):
        pipeline.fig8(faces, known, Unusable(), Unusable(), **args)


@pytest.mark.parametrize("call, message", [
    (lambda G, D, y, k: inpainting.semantic_inpaint(y, k, G, D, steps=0), "steps must be a whole number"),
    (lambda G, D, y, k: inpainting.semantic_inpaint(y, k, G, D, steps=1, seed=-3), "seed must be"),
    (lambda G, D, y, k: refinement.refine(y, k, G, D, mu=0.5, steps=0), "steps must be a whole number"),
    (lambda G, D, y, k: refinement.refine(y, k, G, D, mu=-1, steps=1), "µ must be a finite number ≥ 0"),
    (lambda G, D, y, k: refinement.refine(y, k, G, D, mu=0.5, steps=1, lam=-1), "λ must be"),
    (lambda G, D, y, k: inpainting.optimize_latent(G, D, None, 2, steps=1, beta_1=1.0), "beta_1 must lie in"),
    (lambda G, D, y, k: inpainting.optimize_latent(G, D, None, 0, steps=1), "count must be a whole number"),
])
def test_the_optimisers_check_their_numbers_first(images, call, message):
    faces, known = images
    with pytest.raises(InputError, match=message):
        call(Unusable(), Unusable(), faces, known)


@pytest.mark.parametrize("mse", [-1.0, float("nan"), [4.0, -0.5]])
def test_psnr_refuses_an_mse_that_cannot_be_one(mse):
    with pytest.raises(InputError, match="an MSE must be a number ≥ 0"):
        metrics.psnr_from_mse(mse)
    assert math.isinf(float(metrics.psnr_from_mse(0.0)))


def test_mean_metrics_refuses_what_is_not_a_per_image_record():
    with pytest.raises(InputError, match="lacks MSSIM"):
        metrics.mean_metrics({"MAE": [1.0], "MSE": [1.0], "PSNR": [1.0]})
    with pytest.raises(InputError, match="holds no image"):
        metrics.mean_metrics({name: [] for name in metrics.METRICS})


@pytest.mark.parametrize("setting, message", [
    (dict(seed=-1), "seed must be a whole number of at least 0"),
    (dict(learning_rate=0), "learning_rate must be a positive finite number"),
    (dict(learning_rate=True), "learning_rate must be a positive finite number"),
    (dict(patterns=("x",)), "patterns must be hole pattern numbers"),
    (dict(patterns=(1, 1)), "patterns must be distinct"),
])
def test_evaluate_checks_its_numbers_before_writing(models, setting, message, tmp_path):
    faces = np.random.default_rng(0).uniform(-1, 1, (2, 64, 64, 3)).astype(np.float32)
    args = dict(steps=1, refine_steps=1, progress=False) | setting
    with pytest.raises(InputError, match=message):
        evaluation.evaluate(faces, ["a", "b"], *models, tmp_path / "out", **args)
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- numbers of the command line
PHOTO = "photo.jpg"
BAD_FLAGS = [
    (["demo", "--seed", "-1"], "--seed must be a whole number from 0 to 4294967295, got -1"),
    (["demo", "--seed", str(2 ** 32)], "--seed must be a whole number from 0"),
    (["demo", "--count", "0"], "--count must be a whole number of at least 1, got 0"),
    (["demo", "--steps", "0"], "--steps must be a whole number of at least 1, got 0"),
    (["demo", "--steps", "-5"], "--steps must be a whole number of at least 1, got -5"),
    (["demo", "--patterns", "9"], "9"),
    (["demo", "--precision", "float16"], "unknown precision 'float16'"),
    (["demo", "--paper", "--budget", "fast"], "--paper and --budget fast disagree"),
    (["inpaint", PHOTO, "--pattern", "5", "--mu", "-0.5"], "--mu must be a finite number ≥ 0, got -0.5"),
    (["inpaint", PHOTO, "--pattern", "5", "--mu", "nan"], "--mu must be a finite number ≥ 0, got nan"),
    (["inpaint", PHOTO, "--pattern", "5", "--mu", "inf"], "--mu must be a finite number ≥ 0, got inf"),
    (["inpaint", PHOTO, "--pattern", "5", "--batch-size", "0"], "--batch-size must be a whole number of at least 1"),
    (["inpaint", PHOTO, "--pattern", "5", "--seed", "-2"], "--seed must be a whole number from 0"),
    (["inpaint", PHOTO, "--pattern", "5", "--steps", "0"], "--steps must be a whole number of at least 1"),
    (["inpaint", PHOTO, "--pattern", "17"], "17"),
    (["evaluate", "--n", "0"], "--n must be a whole number of at least 1, got 0"),
    (["evaluate", "--n", "-100"], "--n must be a whole number of at least 1, got -100"),
    (["evaluate", "--batch-size", "0"], "--batch-size must be a whole number of at least 1"),
    (["evaluate", "--seed", "-1"], "--seed must be a whole number from 0"),
    (["evaluate", "--steps", "0"], "--steps must be a whole number of at least 1"),
    (["evaluate", "--refine-steps", "0"], "--refine-steps must be a whole number of at least 1"),
    (["evaluate", "--shard", "0/2"], "--shard 0/2: need 1 <= i <= n"),
    (["evaluate", "--shard", "1/-2"], "--shard 1/-2: need 1 <= i <= n"),
    (["evaluate", "--patterns", "1,1"], "--patterns 1,1: each pattern once"),
    (["evaluate", "--patterns", "0"], "0"),
    (["evaluate", "--partition", "Train"], "evaluate on held-out faces"),
    (["evaluate", "--precision", "bf16"], "unknown precision 'bf16'"),
    (["train", "--epochs", "0"], "--epochs must be a whole number of at least 1, got 0"),
    (["train", "--batch-size", "0"], "--batch-size must be a whole number of at least 1, got 0"),
    (["train", "--lr", "0"], "--lr must be a positive finite number, got 0.0"),
    (["train", "--lr", "-0.001"], "--lr must be a positive finite number"),
    (["train", "--lr", "nan"], "--lr must be a positive finite number, got nan"),
    (["train", "--seed", "-1"], "--seed must be a whole number from 0"),
    (["train", "--tuning", "-4"], "--tuning must be a whole number of at least 0, got -4"),
    (["train", "--max-steps", "0"], "--max-steps must be a whole number of at least 1, got 0"),
    (["train", "--strategy", "gpu"], "unknown strategy 'gpu'"),
    (["train", "--precision", "half"], "unknown precision 'half'"),
    (["figures", "--steps", "0"], "--steps must be a whole number of at least 1, got 0"),
    (["figures", "--celeba-count", "0"], "--celeba-count must be a whole number of at least 1, got 0"),
    (["figures", "--seed", "-1"], "--seed must be a whole number from 0"),
    (["figures", "--only", "patterns,bogus"], "--only patterns,bogus: unknown figure part(s) bogus"),
]


@pytest.mark.parametrize("flags, message", BAD_FLAGS, ids=[" ".join(f) for f, _ in BAD_FLAGS])
def test_every_number_a_flag_takes_is_checked_in_one_line_before_anything_is_written(flags, message, tmp_path,
                                                                                     capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    code = main(flags[:1] + ["--out", str(out)] + flags[1:] + (["--data", str(tmp_path)] if flags[0] in
                                                               ("train", "evaluate") else []))
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith(f"inpaintkit {flags[0]}: error: ") and message in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written, not even the folder


@pytest.mark.parametrize("variable, value, message", [
    ("INPAINTKIT_BUDGET", "fastest", "INPAINTKIT_BUDGET='fastest' is not a budget"),
    ("INPAINTKIT_FAST", "maybe", "INPAINTKIT_FAST='maybe' is neither true"),
    ("INPAINTKIT_DATA", "/no/such/folder", "data folder /no/such/folder does not exist"),
])
def test_environment_variables_with_unknown_values_are_named(variable, value, message, tmp_path, capsys,
                                                           monkeypatch):
    monkeypatch.setenv(variable, value)
    if variable == "INPAINTKIT_FAST":
        monkeypatch.delenv("INPAINTKIT_BUDGET", raising=False)
    code = main(["demo", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err
    assert not (tmp_path / "out").exists()


def test_one_image_in_0_1_among_real_ones_is_named(images):
    faces, known = images
    mixed = faces.copy()
    mixed[1] = (mixed[1] + 1) / 2
    with pytest.raises(InputError, match=r"y \(image 1 of 2\) must lie in \[-1, 1\] but lies in \[0, 1\]"):
        pipeline.fig8(mixed, known, Unusable(), Unusable(), mu=0.5, inpaint_steps=1, refine_steps=1)


def test_no_built_in_face_is_taken_for_an_image_in_0_1():
    from inpaintkit import data

    faces = data.sample_faces()
    inpainting.check_images(faces)  # every one of the 36 portraits, image by image
    assert faces.reshape(len(faces), -1).min(axis=1).max() < 0


def test_an_adam_step_must_be_a_number_or_a_schedule_never_a_bool():
    from inpaintkit.inpainting import step_sizes

    for bad in (True, False, "0.01", [0.01, 0.02], None, 0.0, -1.0, float("nan")):
        with pytest.raises(InputError, match="learning_rate"):
            step_sizes(bad, 3)
    assert step_sizes(0.01, 2).tolist() == pytest.approx([0.01, 0.01])


def test_photos_arrays_on_another_scale_or_empty_are_named():
    from inpaintkit import faces
    from inpaintkit.data import DataError, sample_faces

    face = (sample_faces(1)[0] + 1) / 2  # a photo in [0, 1], as plt.imread gives
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        faces.frame_photo(face)
    with pytest.raises(InputError, match="0–255"):
        faces.frame_photo(face * 255.0)
    with pytest.raises(DataError, match="empty"):
        faces.frame_photo(np.zeros((0, 0, 3), np.uint8))


def test_metrics_name_a_mask_of_the_wrong_shape_and_blending_one_scale():
    from inpaintkit import blending, masks, metrics

    faces = np.full((2, 64, 64, 3), -0.5, np.float32)
    with pytest.raises(InputError, match=r"known has shape \(32, 32\)"):
        metrics.image_metrics(faces, faces, np.ones((32, 32), bool), region="missing")
    as_bytes = np.full((1, 64, 64, 3), 60, np.uint8)
    with pytest.raises(InputError, match="one scale"):
        blending.poisson_blend(as_bytes, masks.make_mask(5), faces[:1], clip=False)


def test_adversarial_round_two(tmp_path, capsys, monkeypatch):
    """Found by a pass of invented inputs: each is refused or said, never silent."""
    from inpaintkit import data, reports, storage

    # an empty path would silently mean the current folder
    assert main(["demo", "--out", "", "--steps", "1"]) == 2
    assert "--out is empty" in capsys.readouterr().err
    # a write through a symlink updates the file it names and keeps the link
    target = tmp_path / "real.md"
    target.write_text("old")
    (tmp_path / "link.md").symlink_to(target)
    storage.atomic_write_text(tmp_path / "link.md", "new")
    assert (tmp_path / "link.md").is_symlink() and target.read_text() == "new"
    # more built-in faces than exist: they repeat, and the user is told
    monkeypatch.delenv("INPAINTKIT_DATA", raising=False)
    assert len(data.load_faces("validation", 40, progress=False)) == 40
    assert "they repeat" in capsys.readouterr().out


def test_a_reversed_clip_range_is_named_not_blamed_on_the_image():
    from inpaintkit import blending, masks

    face = np.full((1, 64, 64, 3), -0.5, np.float32)
    with pytest.raises(InputError, match="clip must be"):
        blending.poisson_blend(face, masks.make_mask(5), face, clip=(1.0, -1.0))


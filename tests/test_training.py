"""Training recipe and faults (§3.2, issue 12 and 15): bf16, flips, EMA, extra G steps, augmentation,
label smoothing, D's own rate, R1, branches, tuning fits, non-finite losses, damaged or missing checkpoints, refused settings that change nothing on disk."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from inpaintkit import data, dcgan
from inpaintkit.errors import InputError

SMALL = dict(width=8, batch_size=16, checkpoint_every=2, seed=3)


@pytest.fixture(scope="module")
def faces():
    return np.random.default_rng(0).uniform(-1, 1, (48, 64, 64, 3)).astype(np.float32)


def _weights(models):
    return [w for model in models for w in model.get_weights()]


def _trains_and_resumes_exactly(faces, folder, config, *, pause: int = 2, models=("G", "D")) -> dict:
    """Train ``config`` straight through (``folder/a``) and stopped after ``pause`` steps then
    resumed (``folder/b``); assert both end with the same weights of ``models``; the straight run."""
    straight = dcgan.train(faces, folder / "a", config, progress=False)
    dcgan.train(faces, folder / "b", config, progress=False, max_steps=pause)
    resumed = dcgan.train(faces, folder / "b", config, progress=False, resume=True)
    for p, q in zip(_weights([straight[m] for m in models]), _weights([resumed[m] for m in models])):
        np.testing.assert_array_equal(p, q)
    return straight


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_bf16_models_keep_float32_weights_outputs_and_load_fp32_weights():
    G, D = dcgan.build_generator(8, precision="mixed_bfloat16"), dcgan.build_discriminator(8, precision="mixed_bfloat16")
    x = G(dcgan.sample_z(2, seed=0), training=False)
    assert x.dtype.name == "float32" and D(x, training=False).dtype.name == "float32"
    assert {w.dtype for w in G.get_weights() + D.get_weights()} == {np.dtype("float32")}
    G32 = dcgan.build_generator(8)
    G32.set_weights(G.get_weights())  # same variables: weights move between precisions
    np.testing.assert_allclose(G32(dcgan.sample_z(2, seed=0)), x, atol=0.05)


def test_unknown_precision_and_bad_settings_are_named():
    with pytest.raises(ValueError, match="unknown precision 'float16'"):
        dcgan.TrainConfig(precision="float16")
    with pytest.raises(ValueError, match="unknown precision"):
        dcgan.build_generator(8, precision="bf16")
    for bad, field in ((dict(checkpoint_every=0), "checkpoint_every"), (dict(batch_size=0), "batch_size"),
                       (dict(learning_rate=float("nan")), "learning_rate"), (dict(g_steps=0), "g_steps"),
                       (dict(ema_decay=1.0), "ema_decay"), (dict(init="imagenet"), "init"),
                       (dict(label_smoothing=0.5), "label_smoothing"), (dict(label_smoothing=-0.1), "label_smoothing"),
                       (dict(d_lr_ratio=0.0), "d_lr_ratio"), (dict(d_lr_ratio=float("inf")), "d_lr_ratio"),
                       (dict(r1_gamma=-1.0), "r1_gamma"), (dict(r1_gamma=float("inf")), "r1_gamma")):
        with pytest.raises(ValueError, match=field):
            dcgan.TrainConfig(**bad)


def test_flips_are_seeded_per_epoch_and_mirror_whole_faces():
    images = np.random.default_rng(1).uniform(-1, 1, (8, 64, 64, 3)).astype(np.float32)
    plain = np.concatenate([b.numpy() for b in data.train_dataset(images, 4, seed=1, epoch=0)])
    flipped = np.concatenate([b.numpy() for b in data.train_dataset(images, 4, seed=1, epoch=0, flip=True)])
    again = np.concatenate([b.numpy() for b in data.train_dataset(images, 4, seed=1, epoch=0, flip=True)])
    np.testing.assert_array_equal(flipped, again)
    mirrored = [not np.array_equal(p, f) for p, f in zip(plain, flipped)]
    assert 0 < sum(mirrored) < len(mirrored)  # some faces, not all
    for p, f, m in zip(plain, flipped, mirrored):  # same face order; a flip is an exact mirror
        np.testing.assert_array_equal(f, p[:, ::-1] if m else p)
    rest = np.concatenate([b.numpy() for b in data.train_dataset(images, 4, seed=1, epoch=0, flip=True,
                                                                 skip_batches=1)])
    np.testing.assert_array_equal(rest, flipped[4:])


def test_recipe_runs_resume_exactly_and_keep_an_averaged_generator(faces, tmp_path):
    config = dcgan.TrainConfig(epochs=2, flip=True, g_steps=2, ema_decay=0.9, **SMALL)
    straight = _trains_and_resumes_exactly(faces, tmp_path, config, pause=3, models=("G", "D", "G_ema"))
    # The average differs from the last weights but stays between the start and them.
    assert any(not np.array_equal(p, q) for p, q in zip(straight["G"].get_weights(), straight["G_ema"].get_weights()))


def test_one_sided_label_smoothing_moves_only_the_real_target():
    """D's loss with smoothing s: real faces are asked for 1 − s, fakes still for 0 (Salimans et al. §3.4)."""
    import tensorflow as tf

    real, fake = tf.constant([[2.0], [-1.0]]), tf.constant([[0.5], [-3.0]])
    plain = float(dcgan.discriminator_loss(real, fake))
    smooth = float(dcgan.discriminator_loss(real, fake, 0.1))
    # binary cross-entropy with target t of logit l: softplus(l) − t·l, by hand
    bce = lambda t, logits: float(np.mean(np.logaddexp(0.0, logits) - t * logits))
    fake_part = bce(0.0, np.array([0.5, -3.0]))
    assert plain == pytest.approx(bce(1.0, np.array([2.0, -1.0])) + fake_part, rel=1e-6)
    assert smooth == pytest.approx(bce(0.9, np.array([2.0, -1.0])) + fake_part, rel=1e-6)
    # A D sure of a real face (large logit) is now penalised: its best logit is log(0.9/0.1), not +inf.
    sure, best = tf.constant([[20.0]]), tf.constant([[float(np.log(9.0))]])
    no_fake = tf.constant([[-50.0]])
    assert float(dcgan.discriminator_loss(sure, no_fake, 0.1)) > float(dcgan.discriminator_loss(best, no_fake, 0.1))


def test_label_smoothing_trains_resumes_exactly_and_changes_the_run(faces, tmp_path):
    config = dcgan.TrainConfig(epochs=1, label_smoothing=0.1, **SMALL)
    straight = _trains_and_resumes_exactly(faces, tmp_path, config)
    plain = dcgan.train(faces, tmp_path / "c", dcgan.TrainConfig(epochs=1, **SMALL), progress=False)
    assert not np.array_equal(plain["D"].get_weights()[0], straight["D"].get_weights()[0])
    assert json.loads((tmp_path / "a" / "train_config.json").read_text())["label_smoothing"] == 0.1


def test_r1_penalty_is_half_gamma_times_the_mean_squared_gradient_norm():
    grads = np.zeros((2, 64, 64, 3), np.float32)
    grads[0, 0, 0] = [3.0, 4.0, 0.0]  # ‖∇‖² = 25 for the first face, 0 for the second
    assert float(dcgan.r1_penalty(grads, 2.0)) == pytest.approx(0.5 * 2.0 * (25.0 + 0.0) / 2)


def test_r1_adds_the_penalty_of_ds_gradient_at_the_real_faces_and_resumes_exactly(faces, tmp_path):
    """D's loss under R1 is the plain loss of the same first step plus γ/2·E‖∇ₓD(x)‖², the
    gradient taken by hand here at the same D and faces (Mescheder et al. 2018, Eq. 9)."""
    import tensorflow as tf

    gamma = 10.0
    real = tf.constant(faces[:16])
    plain, r1 = (dcgan.DCGANTrainer(dcgan.TrainConfig(r1_gamma=g, **SMALL)) for g in (0.0, gamma))
    with tf.GradientTape() as tape:
        tape.watch(real)
        logits = r1.D(real, training=True)
    expected = float(dcgan.r1_penalty(tape.gradient(logits, real), gamma))  # of the summed logits
    assert expected > 1e-3  # the check below could not pass with a penalty left out
    assert float(r1.train_step(real)["d_loss"]) - float(plain.train_step(real)["d_loss"]) == pytest.approx(expected, rel=1e-4)
    straight = _trains_and_resumes_exactly(faces, tmp_path, dcgan.TrainConfig(epochs=1, r1_gamma=gamma, **SMALL))
    unpenalised = dcgan.train(faces, tmp_path / "c", dcgan.TrainConfig(epochs=1, **SMALL), progress=False)
    assert not np.array_equal(unpenalised["D"].get_weights()[0], straight["D"].get_weights()[0])


def _saved_rates(run_folder) -> tuple[float, float]:
    """G's and D's Adam rates as the newest checkpoint of ``run_folder`` holds them."""
    import tensorflow as tf

    trainer = dcgan.DCGANTrainer(dcgan.TrainConfig(width=SMALL["width"]))
    trainer.checkpoint.restore(tf.train.latest_checkpoint(run_folder / "checkpoints"))
    return float(trainer.g_opt.learning_rate), float(trainer.d_opt.learning_rate)


def test_d_lr_ratio_sets_ds_rate_resumes_exactly_and_a_branch_trains_at_its_own_rates(faces, tmp_path):
    """D's Adam rate is d_lr_ratio × G's (TTUR), also under a decay; a branch from a run with one
    rate gets the branch's rates, not those its source's checkpoint was saved with."""
    half = dcgan.TrainConfig(epochs=2, d_lr_ratio=0.5, **SMALL)
    trainer = dcgan.DCGANTrainer(half)
    assert float(trainer.d_opt.learning_rate) == pytest.approx(0.5 * float(trainer.g_opt.learning_rate))
    trainer.set_learning_rate(1e-5)  # what a decay does each update
    assert (float(trainer.g_opt.learning_rate), float(trainer.d_opt.learning_rate)) == pytest.approx((1e-5, 5e-6))
    _trains_and_resumes_exactly(faces, tmp_path, half)
    plain = dcgan.TrainConfig(epochs=2, **SMALL)
    dcgan.train(faces, tmp_path / "source", plain, progress=False, max_steps=2)
    branch = dcgan.train(faces, tmp_path / "branch", half, progress=False, branch_from=tmp_path / "source")
    same = dcgan.train(faces, tmp_path / "same", plain, progress=False, branch_from=tmp_path / "source")
    assert _saved_rates(tmp_path / "source") == pytest.approx((2e-4, 2e-4))
    assert _saved_rates(tmp_path / "branch") == pytest.approx((2e-4, 1e-4))
    assert not np.array_equal(branch["D"].get_weights()[0], same["D"].get_weights()[0])


def test_bf16_training_runs_and_resumes_exactly(faces, tmp_path):
    config = dcgan.TrainConfig(epochs=1, precision="mixed_bfloat16", **SMALL)
    straight = _trains_and_resumes_exactly(faces, tmp_path, config)
    assert np.isfinite(straight["history"]["d_loss"]).all()


def test_resume_with_another_precision_recipe_or_data_is_refused_and_changes_nothing(faces, tmp_path):
    dcgan.train(faces, tmp_path, dcgan.TrainConfig(epochs=1, **SMALL), progress=False, max_steps=2)
    before = _snapshot(tmp_path)
    for other in (dict(precision="mixed_bfloat16"), dict(flip=True), dict(augment=True), dict(label_smoothing=0.1),
                  dict(d_lr_ratio=0.5), dict(r1_gamma=1.0), dict(dataset="elsewhere")):
        with pytest.raises(ValueError, match="differ.*" + next(iter(other))):
            dcgan.train(faces, tmp_path, dcgan.TrainConfig(epochs=1, **SMALL, **other), progress=False, resume=True)
    with pytest.raises(ValueError, match="train_images"):
        dcgan.train(faces[:32], tmp_path, dcgan.TrainConfig(epochs=1, **SMALL), progress=False, resume=True)
    assert _snapshot(tmp_path) == before  # train_config.json and checkpoints untouched


def test_weights_come_back_from_a_runs_newest_checkpoint_with_its_step(faces, tmp_path):
    run = dcgan.train(faces, tmp_path, dcgan.TrainConfig(epochs=1, **SMALL), progress=False, max_steps=2)
    G, D, step = dcgan.weights_from_checkpoint(tmp_path / "checkpoints", width=SMALL["width"])
    assert step == 2
    for p, q in zip(_weights([run["G"], run["D"]]), _weights([G, D])):
        np.testing.assert_array_equal(p, q)
    with pytest.raises(dcgan.WeightsError, match="no checkpoint"):
        dcgan.weights_from_checkpoint(tmp_path / "elsewhere", width=SMALL["width"])


def test_learning_rate_decays_linearly_from_its_start_to_zero_at_the_end():
    constant = dcgan.TrainConfig(learning_rate=1e-3)
    assert [dcgan.learning_rate_at(constant, s, 10) for s in (0, 5, 9)] == [1e-3] * 3
    decay = dcgan.TrainConfig(learning_rate=1e-3, lr_decay_start=6)
    rates = [dcgan.learning_rate_at(decay, s, 10) for s in range(10)]
    np.testing.assert_allclose(rates, [1e-3] * 6 + [1e-3, 0.75e-3, 0.5e-3, 0.25e-3])
    assert dcgan.learning_rate_at(decay, 10, 10) == 0.0
    with pytest.raises(ValueError, match="lr_decay_start"):
        dcgan.TrainConfig(lr_decay_start=-1)


def test_a_decay_tail_branches_off_a_constant_run_and_resumes_exactly(faces, tmp_path):
    """A copy of a constant run, two updates in, continued with the decay from update 2, ends
    where a run with that decay from the start ends; a decay that would already have acted is refused."""
    tail = dcgan.TrainConfig(epochs=2, lr_decay_start=2, **SMALL)  # 3 updates per epoch, 6 in all
    straight = dcgan.train(faces, tmp_path / "straight", tail, progress=False)
    constant = dcgan.TrainConfig(epochs=2, **SMALL)
    dcgan.train(faces, tmp_path / "constant", constant, progress=False, max_steps=2)
    shutil.copytree(tmp_path / "constant", tmp_path / "branch")
    before = _snapshot(tmp_path / "branch")
    with pytest.raises(ValueError, match="lr_decay_start"):
        dcgan.train(faces, tmp_path / "branch", dcgan.TrainConfig(epochs=2, lr_decay_start=1, **SMALL),
                    progress=False, resume=True)
    assert _snapshot(tmp_path / "branch") == before
    dcgan.train(faces, tmp_path / "branch", tail, progress=False, resume=True, max_steps=4)
    branch = dcgan.train(faces, tmp_path / "branch", tail, progress=False, resume=True)
    for p, q in zip(_weights([straight["G"], straight["D"]]), _weights([branch["G"], branch["D"]])):
        np.testing.assert_array_equal(p, q)
    unchanged = dcgan.train(faces, tmp_path / "constant", constant, progress=False, resume=True)
    assert any(not np.array_equal(p, q) for p, q in zip(unchanged["G"].get_weights(), branch["G"].get_weights()))
    with pytest.raises(ValueError, match="epochs"):  # a longer run would change a slope already in use
        dcgan.train(faces, tmp_path / "branch", dcgan.TrainConfig(epochs=3, lr_decay_start=2, **SMALL),
                    progress=False, resume=True)


def test_non_finite_losses_stop_the_run_and_keep_the_last_good_checkpoint(faces, tmp_path):
    good = dcgan.TrainConfig(epochs=1, **SMALL)
    dcgan.train(faces, tmp_path, good, progress=False, max_steps=2)
    saved = _snapshot(tmp_path / "checkpoints")
    poisoned = faces.copy()
    poisoned[:] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        dcgan.train(poisoned, tmp_path, good, progress=False, resume=True)
    # A learning rate that explodes the weights: the step's losses turn inf/NaN.
    run = tmp_path / "huge"
    with pytest.raises(dcgan.TrainingDiverged, match="non-finite at step"):
        dcgan.train(faces * 1.0, run, dcgan.TrainConfig(epochs=3, **dict(SMALL, checkpoint_every=1),
                                                        learning_rate=1e30), progress=False)
    assert _snapshot(tmp_path / "checkpoints") == saved
    for checkpoint in dcgan._checkpoint_numbers(run / "checkpoints"):  # what was saved is finite
        G, D = dcgan.build_generator(8), dcgan.build_discriminator(8)
        import tensorflow as tf
        tf.train.Checkpoint(generator=G, discriminator=D).restore(
            str(run / "checkpoints" / f"ckpt-{checkpoint}")).expect_partial()
        assert all(np.isfinite(w).all() for w in _weights([G, D]))


def test_damaged_newest_checkpoint_falls_back_to_the_one_before(faces, tmp_path, capsys):
    config = dcgan.TrainConfig(epochs=1, **SMALL)
    dcgan.train(faces, tmp_path / "ref", config, progress=False, max_steps=2)
    reference = dcgan.train(faces, tmp_path / "ref", config, progress=False, resume=True)
    dcgan.train(faces, tmp_path / "x", config, progress=False, max_steps=2)
    dcgan.train(faces, tmp_path / "x", config, progress=False, resume=True, max_steps=3)
    folder = tmp_path / "x" / "checkpoints"
    for part in folder.glob("ckpt-3.data-*"):
        part.write_bytes(part.read_bytes()[: len(part.read_bytes()) // 3])  # truncated by a full disk
    resumed = dcgan.train(faces, tmp_path / "x", config, progress=False, resume=True)
    out = capsys.readouterr().out
    assert "ckpt-3 is damaged" in out and "resumed from ckpt-2" in out
    for p, q in zip(_weights([reference["G"], reference["D"]]), _weights([resumed["G"], resumed["D"]])):
        np.testing.assert_array_equal(p, q)


def test_deleted_state_file_and_leftover_temp_folder_do_not_restart_at_zero(faces, tmp_path, capsys):
    config = dcgan.TrainConfig(epochs=1, **SMALL)
    dcgan.train(faces, tmp_path, config, progress=False, max_steps=2)
    folder = tmp_path / "checkpoints"
    (folder / "checkpoint").unlink()
    (folder / "ckpt-4_temp").mkdir()  # what a kill during a save leaves
    result = dcgan.train(faces, tmp_path, config, progress=False, resume=True, max_steps=3)
    out = capsys.readouterr().out
    assert "is missing" in out and "ckpt-2" in out and "removed ckpt-4_temp" in out
    assert result["step"] == 3 and len(result["history"]["d_loss"]) == 1
    assert not (folder / "ckpt-4_temp").exists()
    with pytest.raises(FileExistsError, match="resume"):  # checkpoints found without the state file too
        (folder / "checkpoint").unlink()
        dcgan.train(faces, tmp_path, config, progress=False)


def test_missing_config_with_checkpoints_is_refused(faces, tmp_path):
    config = dcgan.TrainConfig(epochs=1, **SMALL)
    dcgan.train(faces, tmp_path, config, progress=False, max_steps=2)
    (tmp_path / "train_config.json").unlink()
    with pytest.raises(ValueError, match="train_config.json is missing"):
        dcgan.train(faces, tmp_path, config, progress=False, resume=True)


def test_tuning_fits_are_logged_and_the_best_generator_is_kept(faces, tmp_path):
    config = dcgan.TrainConfig(epochs=1, **SMALL)
    tuning = faces[:4]
    dcgan.train(faces, tmp_path, config, progress=False, max_steps=2, tuning_faces=tuning, tune_every=1,
                tune_steps=3)
    log = json.loads((tmp_path / "tuning.json").read_text())
    assert [row["step"] for row in log] == [1, 2]
    best = min(log, key=lambda row: row["best_mse"])
    manifest = json.loads((tmp_path / "best" / "manifest.json").read_text())
    assert manifest["step"] == best["step"] and manifest["tuning_fit_mse"] == best["best_mse"]
    G, _ = dcgan.load_weights(tmp_path / "best")  # checksummed like the shipped weights
    refit = dcgan.heldout_fit(G, _, tuning, steps=3, seed=config.seed)["mean_mse"]
    assert refit == pytest.approx(best["best_mse"], abs=0.01)
    dcgan.train(faces, tmp_path, config, progress=False, resume=True, tuning_faces=tuning, tune_every=1,
                tune_steps=3)  # resumes the log instead of starting it again
    assert [row["step"] for row in json.loads((tmp_path / "tuning.json").read_text())] == [1, 2, 3]


def test_the_last_step_of_a_run_is_always_measured_but_a_pause_is_not(faces, tmp_path):
    config = dcgan.TrainConfig(epochs=1, **SMALL)
    steps = len(faces) // config.batch_size
    assert steps % 2 == 1  # the last step is not a multiple of tune_every
    kwargs = dict(progress=False, tuning_faces=faces[:2], tune_every=2, tune_steps=2)
    dcgan.train(faces, tmp_path, config, max_steps=1, **kwargs)  # a pause at step 1 is not measured
    assert not (tmp_path / "tuning.json").exists()
    dcgan.train(faces, tmp_path, config, resume=True, **kwargs)
    assert [row["step"] for row in json.loads((tmp_path / "tuning.json").read_text())] == \
        [*range(2, steps, 2), steps]


def test_init_from_shipped_weights_starts_from_them(faces, tmp_path):
    config = dcgan.TrainConfig(epochs=1, width=64, batch_size=16, init="shipped", seed=0)
    trainer_G, _ = dcgan.load_pretrained()
    result = dcgan.train(faces[:16], tmp_path, config, progress=False, max_steps=1)
    assert "shipped weights" in " ".join(result["messages"])
    moved = [np.abs(a.numpy() - b.numpy()).max()
             for a, b in zip(trainer_G.trainable_weights, result["G"].trainable_weights)]
    assert max(moved) < 1e-3  # one Adam step of 2e-4 from the shipped weights, not a fresh init


def test_manifest_without_files_is_refused(tmp_path):
    G, D = dcgan.build_generator(8), dcgan.build_discriminator(8)
    dcgan.export_weights(G, D, tmp_path, meta={"width": 8})
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    for broken in ({k: v for k, v in manifest.items() if k != "files"}, {**manifest, "files": {}}):
        (tmp_path / "manifest.json").write_text(json.dumps(broken))
        with pytest.raises(dcgan.WeightsError, match="sha256 of both"):
            dcgan.load_weights(tmp_path)


def test_cli_refuses_bad_training_settings_before_writing(tmp_path, capsys):
    from inpaintkit.cli import main

    out = tmp_path / "run"
    for args, text in ((["--precision", "fp8"], "unknown precision"), (["--lr", "nan"], "learning_rate"),
                       (["--checkpoint-every", "0"], "checkpoint_every"), (["--batch-size", "0"], "batch_size"),
                       (["--lr-decay-start", "-5"], "lr_decay_start")):
        assert main(["train", "--data", str(tmp_path), "--out", str(out), *args]) == 2
        assert text in capsys.readouterr().err
    assert not out.exists()


def test_a_branch_continues_the_source_run_exactly_and_then_under_its_own_settings(faces, tmp_path):
    config = dcgan.TrainConfig(epochs=2, **SMALL)
    straight = dcgan.train(faces, tmp_path / "straight", config, progress=False)
    dcgan.train(faces, tmp_path / "source", config, progress=False, max_steps=4)
    # Same settings: the branch is the uninterrupted run (weights, optimisers, random state carried over).
    same = dcgan.train(faces, tmp_path / "same", config, progress=False, branch_from=tmp_path / "source")
    assert same["step"] == 6 and same["messages"][-1].endswith("at step 4")
    for p, q in zip(_weights([straight["G"], straight["D"]]), _weights([same["G"], same["D"]])):
        np.testing.assert_array_equal(p, q)
    # Two G updates per D update from step 4: a different G, and a branch that resumes as itself.
    g2 = dcgan.TrainConfig(epochs=2, g_steps=2, **SMALL)
    dcgan.train(faces, tmp_path / "g2", g2, progress=False, branch_from=tmp_path / "source", max_steps=5)
    saved = json.loads((tmp_path / "g2" / "train_config.json").read_text())
    source = json.loads((tmp_path / "source" / "train_config.json").read_text())
    assert saved["g_steps"] == 2 and saved["branched_from"] == {"run": str((tmp_path / "source").resolve()), "step": 4,
                                                                "settings": source}
    resumed = dcgan.train(faces, tmp_path / "g2", g2, progress=False, resume=True)
    assert resumed["step"] == 6
    assert not np.array_equal(resumed["G"].get_weights()[0], straight["G"].get_weights()[0])


def test_a_branch_is_refused_where_it_cannot_be_made(faces, tmp_path):
    config = dcgan.TrainConfig(epochs=1, **SMALL)
    dcgan.train(faces, tmp_path / "source", config, progress=False, max_steps=3)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no checkpoint to branch from"):
        dcgan.train(faces, tmp_path / "b", config, progress=False, branch_from=tmp_path / "empty")
    with pytest.raises(FileExistsError, match="folder of its own"):
        dcgan.train(faces, tmp_path / "source", config, progress=False, branch_from=tmp_path / "source")
    with pytest.raises(InputError, match="resume it without"):
        dcgan.train(faces, tmp_path / "b", config, progress=False, resume=True, branch_from=tmp_path / "source")
    dcgan.train(faces, tmp_path / "early", config, progress=False, branch_from=tmp_path / "source", max_steps=3)
    shutil.rmtree(tmp_path / "early" / "checkpoints")  # as if stopped before its first checkpoint
    with pytest.raises(InputError, match="no checkpoint yet"):
        dcgan.train(faces, tmp_path / "early", config, progress=False, resume=True)
    with pytest.raises(InputError, match="width 8, this call 16"):
        dcgan.train(faces, tmp_path / "b", dcgan.TrainConfig(epochs=1, **dict(SMALL, width=16)), progress=False,
                    branch_from=tmp_path / "source")
    assert not (tmp_path / "b" / "checkpoints").exists()  # nothing written by a refused branch


def test_training_with_augmentation_resumes_exactly_and_changes_the_run(faces, tmp_path):
    config = dcgan.TrainConfig(epochs=2, augment=True, g_steps=2, **SMALL)
    straight = dcgan.train(faces, tmp_path / "a", config, progress=False)
    dcgan.train(faces, tmp_path / "b", config, progress=False, max_steps=3)
    resumed = dcgan.train(faces, tmp_path / "b", config, progress=False, resume=True)
    for p, q in zip(_weights([straight["G"], straight["D"]]), _weights([resumed["G"], resumed["D"]])):
        np.testing.assert_array_equal(p, q)
    plain = dcgan.train(faces, tmp_path / "c", dcgan.TrainConfig(epochs=2, g_steps=2, **SMALL), progress=False)
    assert not np.array_equal(plain["D"].get_weights()[0], straight["D"].get_weights()[0])


MIRRORED_SCRIPT = """
import json, sys
import numpy as np
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from inpaintkit import config, dcgan
config.seed_everything(0)
faces = np.random.default_rng(0).uniform(-1, 1, (64, 64, 64, 3)).astype(np.float32)
out, strategy, steps, resume, augment = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5] == "1"
cfg = dcgan.TrainConfig(epochs=2, width=8, batch_size=16, checkpoint_every=2, seed=3, strategy=strategy, augment=augment)
r = dcgan.train(faces, out, cfg, progress=False, max_steps=steps, resume=resume)
print(json.dumps({"replicas": dcgan.make_strategy(strategy).num_replicas_in_sync, "d_loss": r["history"]["d_loss"],
                  "g_loss": r["history"]["g_loss"], "weights": [float(np.abs(w).sum()) for w in r["G"].get_weights()]}))
"""


def test_mirrored_strategy_on_two_devices_matches_one_device_and_resumes_under_either(tmp_path):
    import os
    import subprocess
    import sys

    script = tmp_path / "run.py"
    script.write_text(MIRRORED_SCRIPT)

    def run(out, strategy, steps, resume=False, augment=False):
        done = subprocess.run([sys.executable, script, str(tmp_path / out), strategy, str(steps), str(int(resume)),
                               str(int(augment))],
                              check=True, capture_output=True, text=True,
                              env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
        return json.loads(done.stdout.strip().splitlines()[-1])

    one, two = run("one", "none", 4), run("two", "mirrored", 4)
    assert one["replicas"] == 1 and two["replicas"] == 2
    # Same numbers up to the order of float sums (synchronised batch norm, all-reduced gradients).
    np.testing.assert_allclose(two["d_loss"], one["d_loss"], rtol=1e-3)
    np.testing.assert_allclose(two["g_loss"], one["g_loss"], rtol=1e-3)
    np.testing.assert_allclose(two["weights"], one["weights"], rtol=1e-3)
    multi = run("multi", "multiworker", 4)  # one worker without TF_CONFIG: one replica on a CPU
    assert multi["replicas"] == 1
    np.testing.assert_allclose(multi["d_loss"], one["d_loss"], rtol=1e-3)
    run("swap", "mirrored", 2)  # a checkpoint written on two devices resumes on one …
    swapped = run("swap", "none", 4, resume=True)
    np.testing.assert_allclose(swapped["d_loss"], one["d_loss"][2:], rtol=1e-3)
    run("back", "none", 2)      # … and one written on one device resumes on two
    back = run("back", "mirrored", 4, resume=True)
    np.testing.assert_allclose(back["d_loss"], one["d_loss"][2:], rtol=1e-3)
    # Augmentation is drawn for the whole batch, then sliced like z: two devices see the same numbers.
    alone, shared = run("aug1", "none", 2, augment=True), run("aug2", "mirrored", 2, augment=True)
    np.testing.assert_allclose(shared["d_loss"], alone["d_loss"], rtol=1e-3)
    assert not np.allclose(alone["d_loss"], one["d_loss"][:2])

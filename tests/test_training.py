"""Training (§3.2) and its faults: bf16, flips, EMA, devices, tuning fits, runs of older versions,
non-finite losses, damaged or missing checkpoints, Ctrl-C, refused settings that change nothing on disk."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from inpaintkit import data, dcgan, training, weights_io
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
    straight = training.train(faces, folder / "a", config, progress=False)
    training.train(faces, folder / "b", config, progress=False, max_steps=pause)
    resumed = training.train(faces, folder / "b", config, progress=False, resume=True)
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
        training.TrainConfig(precision="float16")
    with pytest.raises(ValueError, match="unknown precision"):
        dcgan.build_generator(8, precision="bf16")
    for bad, field in ((dict(checkpoint_every=0), "checkpoint_every"), (dict(batch_size=0), "batch_size"),
                       (dict(learning_rate=float("nan")), "learning_rate"), (dict(epochs=2.5), "epochs"),
                       (dict(ema_decay=1.0), "ema_decay"), (dict(init="imagenet"), "init"),
                       (dict(seed=-1), "seed"), (dict(seed=True), "seed"), (dict(beta_1=1.0), "beta_1")):
        with pytest.raises(ValueError, match=field):
            training.TrainConfig(**bad)


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
    config = training.TrainConfig(epochs=2, flip=True, ema_decay=0.9, **SMALL)
    straight = _trains_and_resumes_exactly(faces, tmp_path, config, pause=3, models=("G", "D", "G_ema"))
    # The average differs from the last weights but stays between the start and them.
    assert any(not np.array_equal(p, q) for p, q in zip(straight["G"].get_weights(), straight["G_ema"].get_weights()))


def test_bf16_training_runs_and_resumes_exactly(faces, tmp_path):
    config = training.TrainConfig(epochs=1, precision="mixed_bfloat16", **SMALL)
    straight = _trains_and_resumes_exactly(faces, tmp_path, config)
    assert np.isfinite(straight["history"]["d_loss"]).all()


def test_resume_with_another_precision_recipe_or_data_is_refused_and_changes_nothing(faces, tmp_path):
    training.train(faces, tmp_path, training.TrainConfig(epochs=1, **SMALL), progress=False, max_steps=2)
    before = _snapshot(tmp_path)
    for other in (dict(precision="mixed_bfloat16"), dict(flip=True), dict(ema_decay=0.99), dict(dataset="elsewhere")):
        with pytest.raises(ValueError, match="differ.*" + next(iter(other))):
            training.train(faces, tmp_path, training.TrainConfig(epochs=1, **SMALL, **other), progress=False, resume=True)
    with pytest.raises(ValueError, match="train_images"):
        training.train(faces[:32], tmp_path, training.TrainConfig(epochs=1, **SMALL), progress=False, resume=True)
    assert _snapshot(tmp_path) == before  # train_config.json and checkpoints untouched


def test_weights_come_back_from_a_runs_newest_checkpoint_with_its_step(faces, tmp_path):
    run = training.train(faces, tmp_path, training.TrainConfig(epochs=1, **SMALL), progress=False, max_steps=2)
    G, D, step = weights_io.weights_from_checkpoint(tmp_path / "checkpoints", width=SMALL["width"])
    assert step == 2
    for p, q in zip(_weights([run["G"], run["D"]]), _weights([G, D])):
        np.testing.assert_array_equal(p, q)
    with pytest.raises(weights_io.WeightsError, match="no complete checkpoint"):
        weights_io.weights_from_checkpoint(tmp_path / "elsewhere", width=SMALL["width"])


def test_non_finite_losses_stop_the_run_and_keep_the_last_good_checkpoint(faces, tmp_path):
    good = training.TrainConfig(epochs=1, **SMALL)
    training.train(faces, tmp_path, good, progress=False, max_steps=2)
    saved = _snapshot(tmp_path / "checkpoints")
    poisoned = faces.copy()
    poisoned[:] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        training.train(poisoned, tmp_path, good, progress=False, resume=True)
    # A learning rate that explodes the weights: the step's losses turn inf/NaN.
    run = tmp_path / "huge"
    with pytest.raises(training.TrainingDiverged, match="non-finite at step"):
        training.train(faces * 1.0, run, training.TrainConfig(epochs=3, **dict(SMALL, checkpoint_every=1),
                                                        learning_rate=1e30), progress=False)
    assert _snapshot(tmp_path / "checkpoints") == saved
    for checkpoint in training.checkpoint_numbers(run / "checkpoints"):  # what was saved is finite
        G, D = dcgan.build_generator(8), dcgan.build_discriminator(8)
        import tensorflow as tf
        tf.train.Checkpoint(generator=G, discriminator=D).restore(
            str(run / "checkpoints" / f"ckpt-{checkpoint}")).expect_partial()
        assert all(np.isfinite(w).all() for w in _weights([G, D]))


def test_damaged_newest_checkpoint_falls_back_to_the_one_before(faces, tmp_path, capsys):
    config = training.TrainConfig(epochs=1, **SMALL)
    training.train(faces, tmp_path / "ref", config, progress=False, max_steps=2)
    reference = training.train(faces, tmp_path / "ref", config, progress=False, resume=True)
    training.train(faces, tmp_path / "x", config, progress=False, max_steps=2)
    training.train(faces, tmp_path / "x", config, progress=False, resume=True, max_steps=3)
    folder = tmp_path / "x" / "checkpoints"
    for part in folder.glob("ckpt-3.data-*"):
        part.write_bytes(part.read_bytes()[: len(part.read_bytes()) // 3])  # truncated by a full disk
    resumed = training.train(faces, tmp_path / "x", config, progress=False, resume=True)
    out = capsys.readouterr().out
    assert "ckpt-3 is damaged" in out and "resumed from ckpt-2" in out
    for p, q in zip(_weights([reference["G"], reference["D"]]), _weights([resumed["G"], resumed["D"]])):
        np.testing.assert_array_equal(p, q)


def test_deleted_state_file_and_leftover_temp_folder_do_not_restart_at_zero(faces, tmp_path, capsys):
    config = training.TrainConfig(epochs=1, **SMALL)
    training.train(faces, tmp_path, config, progress=False, max_steps=2)
    folder = tmp_path / "checkpoints"
    (folder / "checkpoint").unlink()
    (folder / "ckpt-4_temp").mkdir()  # what a kill during a save leaves
    result = training.train(faces, tmp_path, config, progress=False, resume=True, max_steps=3)
    out = capsys.readouterr().out
    assert "is missing" in out and "ckpt-2" in out and "removed ckpt-4_temp" in out
    assert result["step"] == 3 and len(result["history"]["d_loss"]) == 1
    assert not (folder / "ckpt-4_temp").exists()
    with pytest.raises(FileExistsError, match="resume"):  # checkpoints found without the state file too
        (folder / "checkpoint").unlink()
        training.train(faces, tmp_path, config, progress=False)


def test_missing_config_with_checkpoints_is_refused(faces, tmp_path):
    config = training.TrainConfig(epochs=1, **SMALL)
    training.train(faces, tmp_path, config, progress=False, max_steps=2)
    (tmp_path / "train_config.json").unlink()
    with pytest.raises(ValueError, match="train_config.json is missing"):
        training.train(faces, tmp_path, config, progress=False, resume=True)


def test_tuning_fits_are_logged_and_the_best_generator_is_kept(faces, tmp_path):
    config = training.TrainConfig(epochs=1, **SMALL)
    tuning = faces[:4]
    training.train(faces, tmp_path, config, progress=False, max_steps=2, tuning_faces=tuning, tune_every=1,
                tune_steps=3)
    log = json.loads((tmp_path / "tuning.json").read_text())
    assert [row["step"] for row in log] == [1, 2]
    best = min(log, key=lambda row: row["best_mse"])
    manifest = json.loads((tmp_path / "best" / "manifest.json").read_text())
    assert manifest["step"] == best["step"] and manifest["tuning_fit_mse"] == best["best_mse"]
    G, _ = weights_io.load_weights(tmp_path / "best")  # checksummed like the shipped weights
    refit = training.heldout_fit(G, _, tuning, steps=3, seed=config.seed)["mean_mse"]
    assert refit == pytest.approx(best["best_mse"], abs=0.01)
    training.train(faces, tmp_path, config, progress=False, resume=True, tuning_faces=tuning, tune_every=1,
                tune_steps=3)  # resumes the log instead of starting it again
    assert [row["step"] for row in json.loads((tmp_path / "tuning.json").read_text())] == [1, 2, 3]


def test_the_last_step_of_a_run_is_always_measured_but_a_pause_is_not(faces, tmp_path):
    config = training.TrainConfig(epochs=1, **SMALL)
    steps = len(faces) // config.batch_size
    assert steps % 2 == 1  # the last step is not a multiple of tune_every
    kwargs = dict(progress=False, tuning_faces=faces[:2], tune_every=2, tune_steps=2)
    training.train(faces, tmp_path, config, max_steps=1, **kwargs)  # a pause at step 1 is not measured
    assert not (tmp_path / "tuning.json").exists()
    training.train(faces, tmp_path, config, resume=True, **kwargs)
    assert [row["step"] for row in json.loads((tmp_path / "tuning.json").read_text())] == \
        [*range(2, steps, 2), steps]


def test_init_from_shipped_weights_starts_from_them(faces, tmp_path):
    config = training.TrainConfig(epochs=1, width=64, batch_size=16, init="shipped", seed=0)
    trainer_G, _ = weights_io.load_pretrained()
    result = training.train(faces[:16], tmp_path, config, progress=False, max_steps=1)
    assert "shipped weights" in " ".join(result["messages"])
    moved = [np.abs(a.numpy() - b.numpy()).max()
             for a, b in zip(trainer_G.trainable_weights, result["G"].trainable_weights)]
    assert max(moved) < 1e-3  # one Adam step of 2e-4 from the shipped weights, not a fresh init


def test_manifest_without_files_is_refused(tmp_path):
    G, D = dcgan.build_generator(8), dcgan.build_discriminator(8)
    weights_io.export_weights(G, D, tmp_path, meta={"width": 8})
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    for broken in ({k: v for k, v in manifest.items() if k != "files"}, {**manifest, "files": {}}):
        (tmp_path / "manifest.json").write_text(json.dumps(broken))
        with pytest.raises(weights_io.WeightsError, match="sha256 of both"):
            weights_io.load_weights(tmp_path)


def test_cli_refuses_bad_training_settings_before_writing(tmp_path, capsys):
    from inpaintkit.cli import main

    out = tmp_path / "run"
    for args, text in ((["--precision", "fp8"], "unknown precision"), (["--lr", "nan"], "--lr"),
                       (["--epochs", "0"], "--epochs"), (["--batch-size", "0"], "--batch-size"),
                       (["--tuning", "-3"], "--tuning"), (["--max-steps", "0"], "--max-steps"), (["--seed", "-1"], "--seed")):
        assert main(["train", "--data", str(tmp_path), "--out", str(out), *args]) == 2
        assert text in capsys.readouterr().err
    assert not out.exists()


def test_a_run_saved_by_an_older_version_resumes_only_where_its_dropped_options_were_off(faces, tmp_path):
    """Options measured and dropped (experiments/README.md) may sit in an old train_config.json: a run
    that had them off resumes exactly; one that used them is refused, naming the option."""
    config = training.TrainConfig(epochs=1, **SMALL)
    straight = training.train(faces, tmp_path / "a", config, progress=False)
    training.train(faces, tmp_path / "b", config, progress=False, max_steps=2)
    settings_file = tmp_path / "b" / "train_config.json"
    settings = json.loads(settings_file.read_text())
    settings_file.write_text(json.dumps({**settings, "g_steps": 1, "augment": False, "label_smoothing": 0.0,
                                         "d_lr_ratio": 1.0, "r1_gamma": 0.0, "lr_decay_start": 0}))
    resumed = training.train(faces, tmp_path / "b", config, progress=False, resume=True)
    for p, q in zip(_weights([straight["G"], straight["D"]]), _weights([resumed["G"], resumed["D"]])):
        np.testing.assert_array_equal(p, q)
    settings_file.write_text(json.dumps({**settings, "augment": True}))
    with pytest.raises(ValueError, match="differ.*augment"):
        training.train(faces, tmp_path / "b", config, progress=False, resume=True)


def test_ctrl_c_saves_the_last_finished_step_and_says_how_to_resume(faces, tmp_path, monkeypatch):
    config = training.TrainConfig(epochs=2, **dict(SMALL, checkpoint_every=100))
    straight = training.train(faces, tmp_path / "a", config, progress=False)
    real_dataset = training.train_dataset
    given = {"n": 0}

    def interrupted(*args, **kwargs):  # Ctrl-C while the 4th batch is read (the step is compiled)
        for batch in real_dataset(*args, **kwargs):
            if given["n"] == 3:
                raise KeyboardInterrupt
            given["n"] += 1
            yield batch

    monkeypatch.setattr(training, "train_dataset", interrupted)
    with pytest.raises(KeyboardInterrupt, match="stopped at step 3.*--resume"):
        training.train(faces, tmp_path / "b", config, progress=False)
    monkeypatch.undo()
    assert training.checkpoint_numbers(tmp_path / "b" / "checkpoints") == [3]
    resumed = training.train(faces, tmp_path / "b", config, progress=False, resume=True)
    for p, q in zip(_weights([straight["G"], straight["D"]]), _weights([resumed["G"], resumed["D"]])):
        np.testing.assert_array_equal(p, q)


MIRRORED_SCRIPT = """
import json, sys
import numpy as np
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from inpaintkit import config, training
config.seed_everything(0)
faces = np.random.default_rng(0).uniform(-1, 1, (64, 64, 64, 3)).astype(np.float32)
out, strategy, steps, resume = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
cfg = training.TrainConfig(epochs=2, width=8, batch_size=16, checkpoint_every=2, seed=3, strategy=strategy)
r = training.train(faces, out, cfg, progress=False, max_steps=steps, resume=resume)
print(json.dumps({"replicas": training.make_strategy(strategy).num_replicas_in_sync, "d_loss": r["history"]["d_loss"],
                  "g_loss": r["history"]["g_loss"], "weights": [float(np.abs(w).sum()) for w in r["G"].get_weights()]}))
"""


def test_mirrored_strategy_on_two_devices_matches_one_device_and_resumes_under_either(tmp_path):
    import os
    import subprocess
    import sys

    script = tmp_path / "run.py"
    script.write_text(MIRRORED_SCRIPT)

    def run(out, strategy, steps, resume=False):
        done = subprocess.run([sys.executable, script, str(tmp_path / out), strategy, str(steps), str(int(resume))],
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


def test_a_resume_asked_to_stop_before_where_the_run_is_changes_nothing(faces, tmp_path):
    """--max-steps below the step a run reached would save the newer state under an older number."""
    config = training.TrainConfig(epochs=1, **SMALL)
    training.train(faces, tmp_path / "a", config, progress=False, max_steps=3)
    folder = tmp_path / "a" / "checkpoints"
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    with pytest.raises(InputError, match="already at step 3, past the 1"):
        training.train(faces, tmp_path / "a", config, progress=False, max_steps=1, resume=True)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    assert max(training.checkpoint_numbers(folder)) == 3

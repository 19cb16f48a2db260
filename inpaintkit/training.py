"""Training the DCGAN (§3.2 of the paper, Eq. 1): the recipe the kit ships, with resume.

The paper's recipe: Adam with β₁ = 0.5, β₂ = 0.9, batch 64, 25 epochs. The paper prints the
learning rate 0.002; the kit uses DCGAN's 0.0002, which fitted held-out faces better (model
card). On top of it the shipped generator used two measured additions (``MODEL_CARD.md``):
an exponential moving average (EMA) of G's weights, kept beside G and never fed back into
training, and horizontal flips of the train faces, in a second stage started from the first
stage's weights (``init="shipped"``). For bigger hardware: ``precision="mixed_bfloat16"`` (GPUs
with bf16 units) and ``strategy="mirrored"``/``"multiworker"`` (several devices or machines).
Options that were measured and not adopted live in ``experiments/`` (README there).

Everything a run needs to continue lives in one ``tf.train.Checkpoint`` (G, D, both Adam states,
the EMA copy, the random generator and the step), written by ``tf.train.CheckpointManager``, so a
resumed run computes exactly what an uninterrupted one would have.
"""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ._tf import keras, tf
from .data import train_dataset
from .dcgan import (PAPER_WIDTH, Z_DIM, build_discriminator, build_generator, check_precision,
                    discriminator_loss, generator_loss, sample_z)
from .errors import InputError, check_count, check_range, image_floats
from .inpainting import optimize_latent
from .metrics import image_metrics
from .storage import StorageError, atomic_write_text, check_writable, describe_os_error, writer_lock
from .weights_io import LICENCE, WEIGHTS_DIR, export_weights, load_weights

__all__ = ["NEED_BYTES", "STRATEGIES", "TRAIN_INITS", "DCGANTrainer", "TrainConfig", "TrainingDiverged", "heldout_fit",
           "make_strategy", "train"]

TRAIN_INITS = ("scratch", "shipped")
STRATEGIES = ("none", "mirrored", "multiworker")
TUNE_EVERY, TUNE_STEPS = 2000, 200  # the shipped run's tuning fits (model card)
# Options of earlier versions, measured and dropped (experiments/README.md): a run saved by such a
# version resumes here only where each held the value that meant "off".
_DROPPED = {"g_steps": 1, "lr_decay_start": 0, "augment": False, "label_smoothing": 0.0, "d_lr_ratio": 1.0,
            "r1_gamma": 0.0}


@dataclass
class TrainConfig:
    """Everything that decides a training run; saved beside its checkpoints (``train_config.json``)."""

    epochs: int = 25              # §3.2
    batch_size: int = 64          # §3.2
    learning_rate: float = 2e-4   # the paper prints 0.002; see notebook 01 and the model card
    beta_1: float = 0.5           # §3.2
    beta_2: float = 0.9           # §3.2
    width: int = PAPER_WIDTH
    seed: int = 0
    checkpoint_every: int = 200   # steps
    keep_checkpoints: int = 3
    precision: str = "float32"    # or "mixed_bfloat16"
    flip: bool = False            # mirror each face with probability ½ (seeded per epoch)
    ema_decay: float = 0.999      # EMA of G's weights kept beside G (0: none)
    init: str = "scratch"         # or "shipped": start from the kit's shipped weights
    dataset: str = ""             # which faces (folder, partition): a resume must match
    strategy: str = "none"        # or "mirrored"/"multiworker": split each batch over devices

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "width", "checkpoint_every", "keep_checkpoints"):
            check_count(name, getattr(self, name))
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or not 0 <= self.seed < 2 ** 32:
            raise InputError(f"seed must be a whole number in [0, 2³²), got {self.seed!r}")
        if isinstance(self.learning_rate, bool) or not (np.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise InputError(f"learning_rate must be a positive finite number, got {self.learning_rate!r}")
        for name in ("beta_1", "beta_2", "ema_decay"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise InputError(f"{name} must lie in [0, 1), got {getattr(self, name)!r}")
        check_precision(self.precision)
        if self.init not in TRAIN_INITS:
            raise InputError(f"unknown init {self.init!r}: use one of {', '.join(TRAIN_INITS)}")
        if self.strategy not in STRATEGIES:
            raise InputError(f"unknown strategy {self.strategy!r}: use one of {', '.join(STRATEGIES)}")


class TrainingDiverged(RuntimeError):
    """The losses became NaN or infinite: the run stops and keeps its last good checkpoint."""


def make_strategy(name: str = "none"):
    """The ``tf.distribute`` strategy for a name: ``none`` (one device), ``mirrored`` or ``multiworker``.

    ``mirrored`` copies the models to every GPU of this machine, or, without GPUs, to every
    logical CPU device. ``multiworker`` is TensorFlow's MultiWorkerMirroredStrategy: every machine
    runs the same command with its own ``TF_CONFIG``; without it, one worker on this machine.
    """
    if name not in STRATEGIES:
        raise InputError(f"unknown strategy {name!r}: use one of {', '.join(STRATEGIES)}")
    if name == "none":
        return tf.distribute.get_strategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy([device.name for device in devices])


class DCGANTrainer:
    """G, D, their Adam optimisers, the EMA copy of G, a seeded random generator and the step,
    all in one ``tf.train.Checkpoint``: a resumed run continues exactly where it stopped, on one
    device or several."""

    def __init__(self, config: TrainConfig):
        self.config = config
        self.strategy = make_strategy(config.strategy)
        sync = config.strategy != "none"
        keras.utils.set_random_seed(config.seed)  # weight initialisation
        with self.strategy.scope():
            self.G = build_generator(config.width, precision=config.precision, synchronized=sync)
            self.D = build_discriminator(config.width, precision=config.precision, synchronized=sync)
            # The EMA copy is only read (fits, samples, export), so it computes in float32.
            self.G_ema = build_generator(config.width)
            self.G_ema.set_weights(self.G.get_weights())
            adam = dict(learning_rate=config.learning_rate, beta_1=config.beta_1, beta_2=config.beta_2)
            self.g_opt, self.d_opt = keras.optimizers.Adam(**adam), keras.optimizers.Adam(**adam)
            self.g_opt.build(self.G.trainable_variables)
            self.d_opt.build(self.D.trainable_variables)
            self.step = tf.Variable(0, dtype=tf.int64, name="step")
        self.rng = tf.random.Generator.from_seed(config.seed)  # draws z for the whole batch
        self.checkpoint = tf.train.Checkpoint(generator=self.G, discriminator=self.D, g_opt=self.g_opt,
                                              d_opt=self.d_opt, rng=self.rng, step=self.step,
                                              generator_ema=self.G_ema)
        self.train_step = tf.function(self._train_step)

    def start_from(self, G, D) -> None:
        """Copy weights (e.g. the shipped ones) into G, its EMA copy and D before step 0."""
        self.G.set_weights(G.get_weights())
        self.G_ema.set_weights(G.get_weights())
        self.D.set_weights(D.get_weights())

    def _train_step(self, real):
        """One step of Eq. 1: D descends −log D(x) − log(1 − D(G(z))), then G descends −log D(G(z)).

        z is drawn for the whole batch, then each device takes its slice of the batch and of z,
        so one device and several see the same numbers.
        """
        z = self.rng.uniform((tf.shape(real)[0], Z_DIM), -1.0, 1.0)
        logs = self.strategy.run(self._replica_step, args=(real, z))
        self.step.assign_add(1)
        if self.config.ema_decay > 0:
            # Warm-up as tf.train.ExponentialMovingAverage's num_updates: early steps are not
            # drowned by the random initial weights.
            t = tf.cast(self.step, tf.float32)
            decay = tf.minimum(self.config.ema_decay, (1.0 + t) / (10.0 + t))
            for average, weight in zip(self.G_ema.weights, self.G.weights):
                average.assign(decay * average + (1.0 - decay) * tf.cast(weight, average.dtype))
        mean = tf.distribute.ReduceOp.MEAN
        return {key: self.strategy.reduce(mean, value, axis=None) for key, value in logs.items()}

    def _replica_step(self, real, z):
        context = tf.distribute.get_replica_context()
        replicas = context.num_replicas_in_sync
        # Each replica's mean loss is divided by the number of replicas: the optimisers sum the
        # replicas' gradients, which then equal the gradient of the whole batch's mean loss.
        if replicas > 1:  # one device keeps the batch whole: a dynamic slice would hide the batch
            # size from Grappler, whose remapper then fails on D's gradient (a red log line)
            share = tf.shape(real)[0] // replicas
            first = context.replica_id_in_sync_group * share
            real, z = real[first:first + share], z[first:first + share]
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.G(z, training=True)
            real_logits = self.D(real, training=True)
            fake_logits = self.D(fake, training=True)
            d_loss = discriminator_loss(real_logits, fake_logits)
            g_loss = generator_loss(fake_logits)
            d_scaled, g_scaled = d_loss / replicas, g_loss / replicas
        self.d_opt.apply_gradients(zip(d_tape.gradient(d_scaled, self.D.trainable_variables),
                                       self.D.trainable_variables))
        self.g_opt.apply_gradients(zip(g_tape.gradient(g_scaled, self.G.trainable_variables),
                                       self.G.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss,
                "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
                "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits))}


# ----------------------------------------------------------------------------- checkpoints
# Free space a run needs before it starts: a few checkpoints of G, D, their Adam states and the
# EMA copy (about 30 MB each at the paper's width) and the logs.
NEED_BYTES = 128 << 20


def _save_checkpoint(manager, step: int, folder: Path) -> None:
    """``manager.save``, with a full or read-only disk told in one line (TensorFlow raises its
    own errors for them, not OSError)."""
    try:
        manager.save(checkpoint_number=step)
    except (tf.errors.OpError, OSError) as error:
        text = str(error)
        reasons = {"No space left": "the disk is full", "Read-only file system": "the file system is read-only",
                   "Permission denied": "permission denied", "Disk quota": "the disk quota is used up"}
        reason = next((why for key, why in reasons.items() if key in text), None)
        if isinstance(error, OSError):
            reason = describe_os_error(error) or reason
        if reason is None:
            raise
        raise StorageError(f"cannot write checkpoint {step} in {folder}: {reason} (the previous checkpoints "
                           "are kept; free space and resume with --resume)") from None


def checkpoint_numbers(folder: Path) -> list[int]:
    """Step numbers of the checkpoints in ``folder`` whose files are all there, newest first.

    Read from the files themselves, not only from TensorFlow's ``checkpoint`` state file, so a
    deleted state file does not silently restart a run at step 0.
    """
    numbers = []
    for index in Path(folder).glob("ckpt-*.index"):
        stem = index.name[len("ckpt-"):-len(".index")]
        if stem.isdigit() and any(Path(folder).glob(f"ckpt-{stem}.data-*")):
            numbers.append(int(stem))
    return sorted(numbers, reverse=True)


def _restore_newest_intact(trainer: DCGANTrainer, folder: Path, say) -> int | None:
    """Restore the newest checkpoint that loads; fall back over damaged ones and say so."""
    for leftover in folder.glob("ckpt-*_temp*"):  # a save killed half-way leaves its temp folder
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
            say(f"removed {leftover.name}, left by a checkpoint save that was interrupted")
    numbers = checkpoint_numbers(folder)
    if numbers and not (folder / "checkpoint").exists():
        say(f"{folder}/checkpoint (TensorFlow's list of checkpoints) is missing; "
            f"found ckpt-{numbers[0]} among the files and resume from it")
    damaged = []
    for number in numbers:
        try:
            trainer.checkpoint.restore(str(folder / f"ckpt-{number}")).assert_existing_objects_matched()
        except Exception as error:  # TF's readers raise OpError, IndexError, ValueError… for damaged files
            damaged.append(number)
            say(f"checkpoint ckpt-{number} is damaged ({error.__class__.__name__}); trying the one before it")
            continue
        if damaged:
            say(f"resumed from ckpt-{number}: the newer checkpoint(s) {damaged} could not be read")
        return number
    if damaged:
        raise InputError(f"every checkpoint in {folder} is damaged ({damaged}); remove the folder to start again")
    return None


def _settings_that_differ(saved: dict, wanted: dict) -> list[str]:
    """The settings that differ between a saved run and this call (``epochs`` may grow, and a run
    may move between devices). A run saved by an older version resumes if each option this
    version dropped held its "off" value; a branch made by such a version does not."""
    if "branched_from" in saved:
        return ["branched_from"]
    dropped = [key for key, off in _DROPPED.items() if saved.get(key, off) != off]
    saved = {**asdict(TrainConfig()), "train_images": wanted.get("train_images"),
             **{k: v for k, v in saved.items() if k not in _DROPPED}}
    keys = (set(saved) | set(wanted)) - {"epochs", "strategy"}
    return sorted(dropped + [k for k in keys if saved.get(k) != wanted.get(k)])


def _load_saved_settings(config_file: Path, numbers: list[int], folder: Path) -> dict | None:
    if not config_file.exists():
        if numbers:
            raise InputError(f"{config_file} is missing, so the settings of the checkpoints in {folder} "
                             "cannot be checked; restore it or start a new run in another folder")
        return None
    try:
        return json.loads(config_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{config_file} is damaged ({error}); cannot check the run's settings") from None


# ----------------------------------------------------------------------------- the loop
def train(images: np.ndarray, out: str | Path, config: TrainConfig | None = None, *,
          resume: bool = False, max_steps: int | None = None, progress: bool = True,
          samples_every_epoch: bool = True, tuning_faces: np.ndarray | None = None,
          tune_every: int = TUNE_EVERY, tune_steps: int = TUNE_STEPS) -> dict:
    """Train the DCGAN on ``images`` (N, 64, 64, 3) in [−1, 1]; checkpoints and logs go to ``out``.

    ``resume`` continues from the newest intact checkpoint in ``out/checkpoints`` (the run's
    settings must match; a damaged newest checkpoint falls back to the one before). ``max_steps``
    stops early after saving a checkpoint. ``tuning_faces``: every ``tune_every`` steps, and at
    the run's last step, G and its EMA copy are fitted to these held-out faces
    (:func:`heldout_fit`, ``tune_steps`` steps); the fits go to TensorBoard and
    ``out/tuning.json``, and the best generator so far is kept in ``out/best/``. Losses that turn
    NaN or infinite stop the run (:class:`TrainingDiverged`) without saving. A Ctrl-C saves a
    checkpoint of the last finished step before it stops the run.

    Returns
    -------
    dict
        ``history`` (per-step losses of this call), ``step``, ``G``, ``D``, ``G_ema``, ``seconds``.
    """
    config = config or TrainConfig()
    images = np.asarray(image_floats(images, "images"), dtype=np.float32)
    if images.ndim != 4 or images.shape[1:] != (64, 64, 3):
        raise InputError(f"images must have shape (N, 64, 64, 3), got {images.shape}")
    check_range(images, "images")  # NaN, 0–255 and [0, 1] images are refused, named
    steps_per_epoch = len(images) // config.batch_size
    if steps_per_epoch == 0:
        raise InputError(f"{len(images)} images are fewer than one batch of {config.batch_size}")
    if max_steps is not None:
        check_count("max_steps", max_steps)
    if tuning_faces is not None:
        check_count("tune_every", tune_every)
        check_count("tune_steps", tune_steps)
    out = Path(out)
    with writer_lock(out, f"train {out}"):  # one run per folder: two would overwrite each other's checkpoints
        check_writable(out, need_bytes=NEED_BYTES)
        return _train_locked(images, out, config, resume=resume, max_steps=max_steps, progress=progress,
                             samples_every_epoch=samples_every_epoch, tuning_faces=tuning_faces,
                             tune_every=tune_every, tune_steps=tune_steps, steps_per_epoch=steps_per_epoch)


def _train_locked(images: np.ndarray, out: Path, config: TrainConfig, *, resume: bool, max_steps: int | None,
                  progress: bool, samples_every_epoch: bool, tuning_faces, tune_every: int, tune_steps: int,
                  steps_per_epoch: int) -> dict:
    """:func:`train` once its arguments are checked and ``out`` is locked for this process."""
    config_file, folder = out / "train_config.json", out / "checkpoints"
    wanted = {**asdict(config), "train_images": len(images)}
    numbers = checkpoint_numbers(folder)  # none when the folder does not exist
    if numbers and not resume:
        raise FileExistsError(f"{out} already holds checkpoints: pass resume=True (--resume) or pick "
                              "another output folder")
    saved = _load_saved_settings(config_file, numbers, folder) if resume else None
    if saved is not None:
        differ = _settings_that_differ(saved, wanted)
        if differ:
            detail = ", ".join(f"{k}: {saved.get(k, _DROPPED.get(k))!r} → {wanted.get(k)!r}" for k in differ)
            raise InputError(f"--resume with settings that differ from the run in {out}: {detail}")

    messages: list[str] = []

    def say(text: str) -> None:
        messages.append(text)
        print(f"inpaintkit train: {text}")

    trainer = DCGANTrainer(config)
    restored = _restore_newest_intact(trainer, folder, say) if resume and folder.is_dir() else None
    if restored is None and config.init == "shipped":
        G0, D0 = load_weights(WEIGHTS_DIR, width=config.width)
        trainer.start_from(G0, D0)
        say("starting from the shipped weights (init='shipped')")
    # Written only once every check has passed, so a refused call changes nothing on disk.
    atomic_write_text(config_file, json.dumps(wanted, indent=2))
    manager = tf.train.CheckpointManager(trainer.checkpoint, folder, max_to_keep=config.keep_checkpoints)
    tuning = _Tuning(out, tuning_faces, tune_every, tune_steps, trainer) if tuning_faces is not None else None

    total_steps = steps_per_epoch * config.epochs
    last_step = total_steps if max_steps is None else min(total_steps, max_steps)
    start = int(trainer.step.numpy())
    if start > last_step:  # saving would put this state under an older step's number
        raise InputError(f"the run in {out} is already at step {start}, past the {last_step} "
                         "asked for (--max-steps/--epochs): nothing to do, nothing was changed")
    writer = tf.summary.create_file_writer(str(out / "logs"))
    fixed_z = sample_z(64, seed=config.seed + 1)
    history: dict[str, list[float]] = {"d_loss": [], "g_loss": [], "d_real": [], "d_fake": []}
    # A checkpoint brings back the rate it was saved with; this call's settings decide it.
    trainer.g_opt.learning_rate.assign(config.learning_rate)
    trainer.d_opt.learning_rate.assign(config.learning_rate)
    bar = tqdm(total=last_step, initial=start, desc="training DCGAN", disable=not progress, unit="step")
    began, seen = time.perf_counter(), 0
    resident = tf.constant(images)  # one copy for all epochs
    try:
        while int(trainer.step.numpy()) < last_step:
            step = int(trainer.step.numpy())
            epoch, done_in_epoch = divmod(step, steps_per_epoch)
            for batch in train_dataset(resident, config.batch_size, seed=config.seed, epoch=epoch,
                                       skip_batches=done_in_epoch, flip=config.flip):
                logs = {k: float(v) for k, v in trainer.train_step(batch).items()}
                step = int(trainer.step.numpy())
                if not all(np.isfinite(v) for v in logs.values()):
                    raise TrainingDiverged(
                        f"losses became non-finite at step {step} (d_loss={logs['d_loss']}, g_loss={logs['g_loss']}); "
                        f"nothing of this step was saved, the last good checkpoint is "
                        f"{manager.latest_checkpoint or 'none (no checkpoint was written yet)'}; "
                        f"try a smaller learning rate (now {config.learning_rate})")
                seen += config.batch_size
                for key, value in logs.items():
                    history[key].append(value)
                with writer.as_default(step=step):
                    for key, value in logs.items():
                        tf.summary.scalar(key, value)
                bar.update(1)
                bar.set_postfix(d=f"{logs['d_loss']:.3f}", g=f"{logs['g_loss']:.3f}",
                                img_s=f"{seen / (time.perf_counter() - began):.0f}")
                if step % config.checkpoint_every == 0 or step == last_step:
                    _save_checkpoint(manager, step, folder)
                if tuning is not None and (step % tune_every == 0 or step == total_steps):
                    tuning.measure(step, writer)
                if step % steps_per_epoch == 0 and samples_every_epoch:
                    with writer.as_default(step=step):
                        grid = trainer.G(fixed_z[:16], training=False)
                        tf.summary.image("samples", (grid + 1) / 2, max_outputs=16)
                if step >= last_step:
                    break
    except KeyboardInterrupt:
        step = int(trainer.step.numpy())
        if step > start:
            _save_checkpoint(manager, step, folder)
        raise KeyboardInterrupt(f"training stopped at step {step}; its checkpoint is saved: "
                                "run the same command with --resume to continue") from None
    finally:
        bar.close()
        writer.flush()
    if manager.latest_checkpoint is None or int(manager.latest_checkpoint.rsplit("-", 1)[1]) != last_step:
        _save_checkpoint(manager, last_step, folder)
    return {"history": history, "step": int(trainer.step.numpy()), "G": trainer.G, "D": trainer.D,
            "G_ema": trainer.G_ema, "seconds": time.perf_counter() - began,
            "steps_per_epoch": steps_per_epoch, "messages": messages}


class _Tuning:
    """Every ``every`` steps: fit G and its EMA copy to held-out tuning faces; keep the best.

    The log (``tuning.json``) and the best generator (``best/``) are written atomically, and the
    log is read back on resume, so an interrupted run keeps its best-so-far.
    """

    def __init__(self, out: Path, faces, every: int, steps: int, trainer: DCGANTrainer):
        self.faces, self.every, self.steps, self.trainer = faces, every, steps, trainer
        self.seed = trainer.config.seed
        self.log_file, self.best_dir = out / "tuning.json", out / "best"
        try:
            self.log = json.loads(self.log_file.read_text()) if self.log_file.exists() else []
            if not isinstance(self.log, list) or not all(isinstance(r, dict) and "step" in r and "best_mse" in r
                                                         for r in self.log):
                raise ValueError("not a list of tuning rows")
        except (ValueError, UnicodeDecodeError) as error:
            raise InputError(f"{self.log_file} is damaged ({error}): restore it, or move it away to measure "
                             "the tuning fits again") from None

    def best(self) -> dict | None:
        return min(self.log, key=lambda row: row["best_mse"]) if self.log else None

    def measure(self, step: int, writer) -> dict:
        if any(row["step"] == step for row in self.log):  # already measured before a resume
            return next(row for row in self.log if row["step"] == step)
        G, D, G_ema = self.trainer.G, self.trainer.D, self.trainer.G_ema
        raw = heldout_fit(G, D, self.faces, steps=self.steps, seed=self.seed)["mean_mse"]
        ema = heldout_fit(G_ema, D, self.faces, steps=self.steps, seed=self.seed)["mean_mse"] \
            if self.trainer.config.ema_decay > 0 else float("inf")
        which = "ema" if ema < raw else "raw"
        row = {"step": step, "mse_raw": round(raw, 3), "mse_ema": round(ema, 3) if np.isfinite(ema) else None,
               "best_mse": round(min(raw, ema), 3), "best_of": which}
        previous = self.best()
        self.log.append(row)
        with writer.as_default(step=step):
            tf.summary.scalar("tuning/fit_mse_raw", raw)
            if np.isfinite(ema):
                tf.summary.scalar("tuning/fit_mse_ema", ema)
            grid = (G_ema if which == "ema" else G)(sample_z(16, seed=self.seed + 1), training=False)
            tf.summary.image("tuning/samples", (grid + 1) / 2, max_outputs=16)
        improved = previous is None or row["best_mse"] < previous["best_mse"]
        if improved:
            export_weights(G_ema if which == "ema" else G, D, self.best_dir,
                           meta={"step": step, "generator": which, "tuning_fit_mse": row["best_mse"],
                                 "width": self.trainer.config.width, "licence": LICENCE,
                                 "tuning": {"faces": len(self.faces), "every": self.every, "steps": self.steps}})
        atomic_write_text(self.log_file, json.dumps(self.log, indent=1) + "\n")
        print(f"inpaintkit train: step {step}: tuning fit MSE raw G {raw:.1f}, EMA G {ema:.1f}"
              f"{' (best so far)' if improved else ''}")
        return row


# ----------------------------------------------------------------------------- measuring G
def heldout_fit(G, D, faces, *, steps: int = 500, seed: int = 0, report_at=(), progress: bool = False) -> dict:
    """How well G can represent faces it never saw: fit z to whole faces (no hole) with the
    inpainting optimiser (Adam 0.003, β = (0.5, 0.9), z clipped to [−1, 1]) minimising the L1
    distance, then the MSE on the 0–255 scale per face. A trained G must beat an untrained one
    of the same architecture by a wide margin.

    ``report_at``: step counts below ``steps`` whose mean MSE is also reported (``"mean_mse_at"``).
    Adam's path does not depend on the budget, so the MSE after 40 steps of a 500-step fit is
    the MSE of a 40-step fit: one fit gives the whole curve.
    """
    target = tf.constant(np.asarray(faces, dtype=np.float32))

    def loss_fn(x, logits):
        return tf.reduce_sum(tf.abs(x - target), axis=[1, 2, 3])

    result = optimize_latent(G, D, loss_fn, len(faces), seed=seed, steps=steps, keep_z_at=report_at,
                             progress=progress)
    mse = image_metrics(result.x, faces)["MSE"]
    mean_at = {n: float(image_metrics(G(z, training=False).numpy(), faces)["MSE"].mean())
               for n, z in sorted(result.z_at.items())}
    mean_at[steps] = float(mse.mean())
    return {"mse": mse, "mean_mse": float(mse.mean()), "mean_mse_at": mean_at, "x": result.x,
            "losses": result.losses}

"""The DCGAN of Yeh et al. (Radford et al.'s architecture) and its training, §1.2 Eq. 1 and §3.2.

Generator: z ∈ ℝ¹⁰⁰ ~ U[−1, 1] → dense 4×4×8w → 5×5 stride-2 transposed convolutions to 4w, 2w,
w channels (batch norm + ReLU) → 3 channels with tanh, 64×64. Discriminator: 5×5 stride-2
convolutions w, 2w, 4w, 8w (batch norm from the second on, leaky ReLU 0.2) → one logit.
The paper's width is w = 64. D returns a *logit*; its probability of "real" is the sigmoid.

Training minimises Eq. 1 in its usual non-saturating form (G maximises log D(G(z)) rather than
minimising log(1 − D(G(z))), which has vanishing gradients early on), with Adam β₁ = 0.5, β₂ = 0.9.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

Z_DIM = 100
PAPER_WIDTH = 64
WEIGHTS_DIR = Path(__file__).parent / "weights"
_BN = dict(momentum=0.9, epsilon=1e-5)  # DCGAN's batch-norm settings


def build_generator(width: int = PAPER_WIDTH, z_dim: int = Z_DIM):
    """G: z (N, 100) in [−1, 1] → image (N, 64, 64, 3) in [−1, 1]."""
    import keras
    from keras import layers

    init = keras.initializers.RandomNormal(stddev=0.02)
    model = keras.Sequential(name="generator")
    model.add(keras.Input((z_dim,), name="z"))
    model.add(layers.Dense(4 * 4 * 8 * width, use_bias=False, kernel_initializer=init))
    model.add(layers.BatchNormalization(**_BN))
    model.add(layers.ReLU())
    model.add(layers.Reshape((4, 4, 8 * width)))
    for channels in (4 * width, 2 * width, width):
        model.add(layers.Conv2DTranspose(channels, 5, strides=2, padding="same", use_bias=False,
                                         kernel_initializer=init))
        model.add(layers.BatchNormalization(**_BN))
        model.add(layers.ReLU())
    model.add(layers.Conv2DTranspose(3, 5, strides=2, padding="same", activation="tanh",
                                     kernel_initializer=init))
    return model


def build_discriminator(width: int = PAPER_WIDTH):
    """D: image (N, 64, 64, 3) → logit (N, 1); sigmoid(logit) is the probability of 'real'."""
    import keras
    from keras import layers

    init = keras.initializers.RandomNormal(stddev=0.02)
    model = keras.Sequential(name="discriminator")
    model.add(keras.Input((64, 64, 3), name="image"))
    for index, channels in enumerate((width, 2 * width, 4 * width, 8 * width)):
        model.add(layers.Conv2D(channels, 5, strides=2, padding="same", use_bias=index == 0,
                                kernel_initializer=init))
        if index > 0:  # DCGAN: no batch norm on the discriminator's input layer
            model.add(layers.BatchNormalization(**_BN))
        model.add(layers.LeakyReLU(0.2))
    model.add(layers.Flatten())
    model.add(layers.Dense(1, kernel_initializer=init, name="logit"))
    return model


def sample_z(count: int, seed: int | None = None, z_dim: int = Z_DIM) -> np.ndarray:
    """z ~ U[−1, 1]^100, reproducible from a seed."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (count, z_dim)).astype(np.float32)


def probability_real(D, images) -> np.ndarray:
    """D's probability that each image is real: sigmoid of its logit, (N,)."""
    import tensorflow as tf

    return tf.sigmoid(D(images, training=False))[:, 0].numpy()


# ----------------------------------------------------------------------------- training
@dataclass
class TrainConfig:
    """Everything that decides a training run; saved beside its checkpoints."""

    epochs: int = 25
    batch_size: int = 64
    learning_rate: float = 2e-4   # the paper prints 0.002; see notebook 01 and the model card
    beta_1: float = 0.5
    beta_2: float = 0.9
    width: int = PAPER_WIDTH
    seed: int = 0
    checkpoint_every: int = 200   # steps
    keep_checkpoints: int = 3


def discriminator_loss(real_logits, fake_logits):
    """−log D(x) − log(1 − D(G(z))), from logits (Eq. 1, D's side)."""
    import tensorflow as tf

    bce = tf.nn.sigmoid_cross_entropy_with_logits
    return tf.reduce_mean(bce(tf.ones_like(real_logits), real_logits)) + \
        tf.reduce_mean(bce(tf.zeros_like(fake_logits), fake_logits))


def generator_loss(fake_logits):
    """−log D(G(z)), the non-saturating form of G's side of Eq. 1."""
    import tensorflow as tf

    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(fake_logits), fake_logits))


class DCGANTrainer:
    """Holds G, D, their optimisers, a seeded random generator and the step counter.

    All of it is in one ``tf.train.Checkpoint``, so a resumed run continues exactly where the
    interrupted one stopped (same batches, same z draws, same weights).
    """

    def __init__(self, config: TrainConfig):
        import keras
        import tensorflow as tf

        self.config = config
        keras.utils.set_random_seed(config.seed)  # weight initialisation
        self.G = build_generator(config.width)
        self.D = build_discriminator(config.width)
        adam = dict(learning_rate=config.learning_rate, beta_1=config.beta_1, beta_2=config.beta_2)
        self.g_opt = keras.optimizers.Adam(**adam)
        self.d_opt = keras.optimizers.Adam(**adam)
        self.g_opt.build(self.G.trainable_variables)
        self.d_opt.build(self.D.trainable_variables)
        self.rng = tf.random.Generator.from_seed(config.seed)
        self.step = tf.Variable(0, dtype=tf.int64, name="step")
        self.checkpoint = tf.train.Checkpoint(generator=self.G, discriminator=self.D, g_opt=self.g_opt,
                                              d_opt=self.d_opt, rng=self.rng, step=self.step)
        self.train_step = tf.function(self._train_step)

    def _train_step(self, real):
        """One step of Eq. 1: D ascends log D(x) + log(1 − D(G(z))), G ascends log D(G(z))."""
        import tensorflow as tf

        z = self.rng.uniform((tf.shape(real)[0], Z_DIM), -1.0, 1.0)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.G(z, training=True)
            real_logits = self.D(real, training=True)
            fake_logits = self.D(fake, training=True)
            d_loss = discriminator_loss(real_logits, fake_logits)
            g_loss = generator_loss(fake_logits)
        self.d_opt.apply_gradients(zip(d_tape.gradient(d_loss, self.D.trainable_variables),
                                       self.D.trainable_variables))
        self.g_opt.apply_gradients(zip(g_tape.gradient(g_loss, self.G.trainable_variables),
                                       self.G.trainable_variables))
        self.step.assign_add(1)
        return {"d_loss": d_loss, "g_loss": g_loss,
                "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
                "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits))}


def _check_output_dir(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        raise PermissionError(f"cannot write to output folder {out}: {error.strerror}") from None


def train(images: np.ndarray, out: str | Path, config: TrainConfig | None = None, *,
          resume: bool = False, max_steps: int | None = None, progress: bool = True,
          samples_every_epoch: bool = True) -> dict:
    """Train the DCGAN on ``images`` (N, 64, 64, 3) in [−1, 1]; checkpoints and logs go to ``out``.

    ``resume`` continues from the newest checkpoint in ``out/checkpoints`` (the run's config must
    match). ``max_steps`` stops early (for tests and demonstrations) after saving a checkpoint.
    Returns the history of per-step losses this call ran, and the final step.
    """
    import tensorflow as tf
    from tqdm.auto import tqdm

    from .data import train_dataset
    from .storage import atomic_write_text

    config = config or TrainConfig()
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[1:] != (64, 64, 3):
        raise ValueError(f"images must have shape (N, 64, 64, 3), got {images.shape}")
    if images.min() < -1.0 - 1e-6 or images.max() > 1.0 + 1e-6:
        raise ValueError(f"images must lie in [-1, 1], got [{images.min():.3g}, {images.max():.3g}]")
    out = Path(out)
    _check_output_dir(out)
    config_file = out / "train_config.json"
    if resume and config_file.exists():
        saved = json.loads(config_file.read_text())
        if {k: v for k, v in saved.items() if k != "epochs"} != \
                {k: v for k, v in asdict(config).items() if k != "epochs"}:
            raise ValueError(f"--resume with settings that differ from the run in {out}: {saved}")
    atomic_write_text(config_file, json.dumps(asdict(config), indent=2))

    trainer = DCGANTrainer(config)
    manager = tf.train.CheckpointManager(trainer.checkpoint, out / "checkpoints",
                                         max_to_keep=config.keep_checkpoints)
    if resume and manager.latest_checkpoint:
        trainer.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    elif not resume and manager.latest_checkpoint:
        raise FileExistsError(f"{out} already holds checkpoints: pass resume=True (--resume) or pick "
                              "another output folder")

    steps_per_epoch = len(images) // config.batch_size
    if steps_per_epoch == 0:
        raise ValueError(f"{len(images)} images are fewer than one batch of {config.batch_size}")
    total_steps = steps_per_epoch * config.epochs
    last_step = total_steps if max_steps is None else min(total_steps, max_steps)
    writer = tf.summary.create_file_writer(str(out / "logs"))
    fixed_z = sample_z(64, seed=config.seed + 1)
    history: dict[str, list[float]] = {"d_loss": [], "g_loss": [], "d_real": [], "d_fake": []}
    start = int(trainer.step.numpy())
    bar = tqdm(total=last_step, initial=start, desc="training DCGAN", disable=not progress, unit="step")
    began, seen = time.perf_counter(), 0
    resident = tf.constant(images)  # one copy for all epochs
    while int(trainer.step.numpy()) < last_step:
        step = int(trainer.step.numpy())
        epoch, done_in_epoch = divmod(step, steps_per_epoch)
        for batch in train_dataset(resident, config.batch_size, seed=config.seed, epoch=epoch,
                                   skip_batches=done_in_epoch):
            logs = {k: float(v) for k, v in trainer.train_step(batch).items()}
            step = int(trainer.step.numpy())
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
                manager.save(checkpoint_number=step)
            if step % steps_per_epoch == 0 and samples_every_epoch:
                with writer.as_default(step=step):
                    grid = trainer.G(fixed_z[:16], training=False)
                    tf.summary.image("samples", (grid + 1) / 2, max_outputs=16)
            if step >= last_step:
                break
    bar.close()
    if manager.latest_checkpoint is None or int(manager.latest_checkpoint.rsplit("-", 1)[1]) != last_step:
        manager.save(checkpoint_number=last_step)
    writer.flush()
    return {"history": history, "step": int(trainer.step.numpy()), "G": trainer.G, "D": trainer.D,
            "seconds": time.perf_counter() - began, "steps_per_epoch": steps_per_epoch}


# ----------------------------------------------------------------------------- weights
def export_weights(G, D, folder: str | Path, meta: dict | None = None) -> dict:
    """Write G and D weights atomically with a manifest of sha256 sums (and ``meta``)."""
    from .storage import atomic_path, atomic_write_text, sha256_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"files": {}, **(meta or {})}
    for name, model in (("generator", G), ("discriminator", D)):
        target = folder / f"{name}.weights.h5"
        with atomic_path(target) as tmp:
            model.save_weights(tmp)
        manifest["files"][target.name] = sha256_file(target)
    atomic_write_text(folder / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return manifest


class WeightsError(RuntimeError):
    """Shipped or exported weights are missing or damaged."""


def load_weights(folder: str | Path = WEIGHTS_DIR, width: int | None = None):
    """(G, D) from a folder written by :func:`export_weights`; every file's sha256 is checked."""
    from .storage import sha256_file

    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise WeightsError(f"no manifest.json in {folder}: the weights are missing")
    try:
        manifest = json.loads(manifest_path.read_text())
    except json.JSONDecodeError as error:
        raise WeightsError(f"{manifest_path} is damaged: {error}") from None
    for name, expected in manifest["files"].items():
        path = folder / name
        if not path.exists():
            raise WeightsError(f"weights file {path} is missing")
        actual = sha256_file(path)
        if actual != expected:
            raise WeightsError(f"weights file {path} is damaged: sha256 {actual[:12]}… "
                               f"but the manifest says {expected[:12]}…")
    width = width or manifest.get("width", PAPER_WIDTH)
    G, D = build_generator(width), build_discriminator(width)
    G.load_weights(folder / "generator.weights.h5")
    D.load_weights(folder / "discriminator.weights.h5")
    return G, D


def load_pretrained():
    """The shipped generator and discriminator, trained on CelebA (see weights/MODEL_CARD.md)."""
    return load_weights(WEIGHTS_DIR)


def weights_from_checkpoint(checkpoint_dir: str | Path, width: int = PAPER_WIDTH):
    """(G, D) restored from the newest checkpoint of a training run."""
    import tensorflow as tf

    G, D = build_generator(width), build_discriminator(width)
    latest = tf.train.latest_checkpoint(str(checkpoint_dir))
    if latest is None:
        raise WeightsError(f"no checkpoint in {checkpoint_dir}")
    tf.train.Checkpoint(generator=G, discriminator=D).restore(latest).expect_partial()
    return G, D


# ----------------------------------------------------------------------------- measuring G
def layer_shapes(model) -> list[tuple[str, tuple]]:
    """(layer name, output shape without the batch) for each layer: the drawing of notebook 01."""
    return [(layer.name, tuple(layer.output.shape[1:])) for layer in model.layers]


def heldout_fit(G, D, faces, *, steps: int = 500, seed: int = 0, progress: bool = False) -> dict:
    """How well G can represent faces it never saw: fit z to whole faces (no hole) with the
    inpainting optimiser (Adam 0.003, β = (0.5, 0.9), z clipped to [−1, 1]) minimising the L1
    distance, then report the MSE on the 0–255 scale per face. A trained G must beat an
    untrained one of the same architecture by a wide margin.
    """
    import tensorflow as tf

    from .inpainting import optimize_latent
    from .metrics import image_metrics

    target = tf.constant(np.asarray(faces, dtype=np.float32))

    def loss_fn(x, logits):
        return tf.reduce_sum(tf.abs(x - target), axis=[1, 2, 3])

    result = optimize_latent(G, D, loss_fn, len(faces), seed=seed, steps=steps, progress=progress)
    mse = image_metrics(result.x, faces)["MSE"]
    return {"mse": mse, "mean_mse": float(mse.mean()), "x": result.x, "losses": result.losses}


def compare_learning_rates(faces, heldout, rates=(2e-3, 2e-4), *, steps: int = 300,
                           fit_steps: int = 200, batch_size: int = 64, seed: int = 0,
                           progress: bool = False) -> dict[float, dict]:
    """Train briefly at each learning rate (same seed, same batches), then measure each generator
    by :func:`heldout_fit` on ``heldout`` faces. The paper prints 0.002; DCGAN uses 0.0002."""
    import tempfile

    results = {}
    for rate in rates:
        with tempfile.TemporaryDirectory() as folder:
            epochs = -(-steps // (len(faces) // batch_size))
            run = train(faces, folder, TrainConfig(epochs=epochs, batch_size=batch_size, learning_rate=rate,
                                                   seed=seed, checkpoint_every=10 ** 9),
                        max_steps=steps, progress=progress, samples_every_epoch=False)
        fit = heldout_fit(run["G"], run["D"], heldout, steps=fit_steps, seed=seed)
        history = {k: np.asarray(v) for k, v in run["history"].items()}
        results[rate] = {"heldout_mse": fit["mean_mse"], "history": history,
                         "samples": run["G"](sample_z(16, seed=seed + 1), training=False).numpy(),
                         "fit": fit["x"]}
    return results


def interpolate(G, z_start, z_end, steps: int = 8) -> np.ndarray:
    """G along the straight line from ``z_start`` to ``z_end`` (both in [−1, 1]^100)."""
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    z = (1 - t) * np.asarray(z_start, np.float32)[None] + t * np.asarray(z_end, np.float32)[None]
    return G(z, training=False).numpy()


LR_COMPARISON = WEIGHTS_DIR / "lr_comparison.json"


def load_lr_comparison(path: str | Path = LR_COMPARISON) -> dict:
    """The stored comparison of learning rates (written by ``scripts/compare_learning_rates.py``)."""
    path = Path(path)
    if not path.exists():
        raise WeightsError(f"{path} is missing: run scripts/compare_learning_rates.py")
    return json.loads(path.read_text())

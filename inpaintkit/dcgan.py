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
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .errors import InputError
from .latent import Z_DIM, sample_z  # noqa: F401  (z's home; re-exported as dcgan.sample_z)

PAPER_WIDTH = 64
WEIGHTS_DIR = Path(__file__).parent / "weights"
_BN = dict(momentum=0.9, epsilon=1e-5)  # DCGAN's batch-norm settings
PRECISIONS = ("float32", "mixed_bfloat16")


def check_precision(precision: str) -> str:
    """A Keras dtype policy name: ``float32``, or ``mixed_bfloat16`` (bf16 maths, float32 variables)."""
    if precision not in PRECISIONS:
        raise InputError(f"unknown precision {precision!r}: use one of {', '.join(PRECISIONS)}")
    return precision


def build_generator(width: int = PAPER_WIDTH, z_dim: int = Z_DIM, precision: str = "float32",
                    synchronized: bool = False):
    """G: z (N, 100) in [−1, 1] → image (N, 64, 64, 3) in [−1, 1].

    ``precision="mixed_bfloat16"`` computes the hidden layers in bfloat16 with float32 weights;
    the output layer stays float32, so images and every loss built on them are float32.
    ``synchronized`` batch norm pools the batch statistics over the replicas of a
    ``tf.distribute`` strategy, so a batch split over devices is normalised as one batch.
    """
    import keras
    from keras import layers

    dtype = check_precision(precision)
    init = keras.initializers.RandomNormal(stddev=0.02)
    model = keras.Sequential(name="generator")
    model.add(keras.Input((z_dim,), name="z"))
    model.add(layers.Dense(4 * 4 * 8 * width, use_bias=False, kernel_initializer=init, dtype=dtype))
    model.add(layers.BatchNormalization(**_BN, dtype=dtype, synchronized=synchronized))
    model.add(layers.ReLU(dtype=dtype))
    model.add(layers.Reshape((4, 4, 8 * width), dtype=dtype))
    for channels in (4 * width, 2 * width, width):
        model.add(layers.Conv2DTranspose(channels, 5, strides=2, padding="same", use_bias=False,
                                         kernel_initializer=init, dtype=dtype))
        model.add(layers.BatchNormalization(**_BN, dtype=dtype, synchronized=synchronized))
        model.add(layers.ReLU(dtype=dtype))
    model.add(layers.Conv2DTranspose(3, 5, strides=2, padding="same", activation="tanh",
                                     kernel_initializer=init, dtype="float32"))
    return model


def build_discriminator(width: int = PAPER_WIDTH, precision: str = "float32", synchronized: bool = False):
    """D: image (N, 64, 64, 3) → logit (N, 1); sigmoid(logit) is the probability of 'real'.

    Under ``mixed_bfloat16`` the convolutions run in bfloat16; the logit layer stays float32.
    """
    import keras
    from keras import layers

    dtype = check_precision(precision)
    init = keras.initializers.RandomNormal(stddev=0.02)
    model = keras.Sequential(name="discriminator")
    model.add(keras.Input((64, 64, 3), name="image"))
    for index, channels in enumerate((width, 2 * width, 4 * width, 8 * width)):
        model.add(layers.Conv2D(channels, 5, strides=2, padding="same", use_bias=index == 0,
                                kernel_initializer=init, dtype=dtype))
        if index > 0:  # DCGAN: no batch norm on the discriminator's input layer
            model.add(layers.BatchNormalization(**_BN, dtype=dtype, synchronized=synchronized))
        model.add(layers.LeakyReLU(0.2, dtype=dtype))
    model.add(layers.Flatten(dtype=dtype))
    model.add(layers.Dense(1, kernel_initializer=init, name="logit", dtype="float32"))
    return model


def precision_of(model) -> str:
    """The precision a G or D built here computes in (its first layer's Keras dtype policy)."""
    return model.layers[0].dtype_policy.name


def with_precision(G, D, precision: str):
    """(G, D) computing under ``precision`` with the same float32 weights: the models themselves if
    they already do, else copies.

    Used to run the latent optimisers (Eq. 2, Eq. 9) in bfloat16: z, Adam's state and the losses
    stay float32 because G's output and D's logit layers are float32.
    """
    check_precision(precision)
    if precision_of(G) == precision and precision_of(D) == precision:
        return G, D
    width = G.layers[-1].input.shape[-1]
    G2, D2 = build_generator(width, precision=precision), build_discriminator(width, precision=precision)
    G2.set_weights(G.get_weights())
    D2.set_weights(D.get_weights())
    return G2, D2


def probability_real(D, images) -> np.ndarray:
    """D's probability that each image is real: sigmoid of its logit, (N,)."""
    import tensorflow as tf

    return tf.sigmoid(D(images, training=False))[:, 0].numpy()


# ----------------------------------------------------------------------------- training
INITS = ("scratch", "shipped")
STRATEGIES = ("none", "mirrored", "multiworker")


@dataclass
class TrainConfig:
    """Everything that decides a training run; saved beside its checkpoints.

    The first block is the paper's §3.2 (and Yeh et al.'s DCGAN). The second block is the recipe
    the kit measured on top of it (model card): bf16 arithmetic, horizontal flips, an exponential
    moving average (EMA) of G's weights, several G updates per D update, a linear decay of the
    learning rate (:func:`learning_rate_at`), differentiable augmentation (:func:`diff_augment`),
    one-sided label smoothing (:func:`discriminator_loss`), a slower or faster D (``d_lr_ratio``,
    the two time-scale rule of Heusel et al. 2017), an R1 penalty on D (:func:`r1_penalty`), and
    where to start.
    """

    epochs: int = 25
    batch_size: int = 64
    learning_rate: float = 2e-4   # the paper prints 0.002; see notebook 01 and the model card
    beta_1: float = 0.5
    beta_2: float = 0.9
    width: int = PAPER_WIDTH
    seed: int = 0
    checkpoint_every: int = 200   # steps
    keep_checkpoints: int = 3
    precision: str = "float32"    # or "mixed_bfloat16"
    flip: bool = False            # mirror each face with probability ½ (seeded per epoch)
    ema_decay: float = 0.999      # EMA of G's weights kept beside G (0: none)
    g_steps: int = 1              # G updates per D update (public Yeh implementations use 2)
    init: str = "scratch"         # or "shipped": start from the kit's shipped weights
    dataset: str = ""             # which faces (folder, partition, filter): a resume must match
    strategy: str = "none"        # or "mirrored": split each batch over the devices (tf.distribute)
    lr_decay_start: int = 0       # 0: constant rate; N: from update N it falls linearly to 0 at the end
    augment: bool = False         # D sees real and fake faces through the same random colour and shift
    label_smoothing: float = 0.0  # D's target for real faces is 1 − this (one-sided; 0: the paper's 1)
    d_lr_ratio: float = 1.0       # D's Adam rate is this × learning_rate (1: the paper's one rate)
    r1_gamma: float = 0.0         # weight γ of the R1 penalty on D's gradient at real faces (0: none)

    def __post_init__(self) -> None:
        def need(ok: bool, text: str) -> None:
            if not ok:
                raise InputError(text)

        for name in ("epochs", "batch_size", "width", "checkpoint_every", "keep_checkpoints", "g_steps"):
            value = getattr(self, name)
            need(isinstance(value, int) and value >= 1, f"{name} must be a whole number of at least 1, got {value!r}")
        need(isinstance(self.lr_decay_start, int) and self.lr_decay_start >= 0,
             f"lr_decay_start must be a whole number of at least 0, got {self.lr_decay_start!r}")
        for name in ("learning_rate", "d_lr_ratio"):
            value = getattr(self, name)
            need(np.isfinite(value) and value > 0, f"{name} must be a positive finite number, got {value!r}")
        for name in ("beta_1", "beta_2"):
            value = getattr(self, name)
            need(0.0 <= value < 1.0, f"{name} must lie in [0, 1), got {value!r}")
        need(np.isfinite(self.r1_gamma) and self.r1_gamma >= 0,
             f"r1_gamma must be a finite number of at least 0, got {self.r1_gamma!r}")
        need(0.0 <= self.ema_decay < 1.0, f"ema_decay must lie in [0, 1), got {self.ema_decay!r}")
        # At ½ or more D would be asked to call real faces fake: no longer a smoothing.
        need(0.0 <= self.label_smoothing < 0.5,
             f"label_smoothing must lie in [0, 0.5), got {self.label_smoothing!r}")
        check_precision(self.precision)
        need(self.init in INITS, f"unknown init {self.init!r}: use one of {', '.join(INITS)}")
        need(self.strategy in STRATEGIES,
             f"unknown strategy {self.strategy!r}: use one of {', '.join(STRATEGIES)}")


class RecipeChoice(NamedTuple):
    """One recipe setting of :class:`TrainConfig` as the kit puts it into words (README, model card,
    recipe tables) and as the ``train`` flag that sets it ("" for the default)."""

    words: Callable[[Any], str]
    flag: Callable[[Any], str]


# The one place a recipe choice is phrased, so that a new choice reads the same everywhere.
RECIPE_CHOICES: dict[str, RecipeChoice] = {
    "precision": RecipeChoice(lambda p: "bf16 arithmetic" if p == "mixed_bfloat16" else "float32 arithmetic",
                              lambda p: f"--precision {p}" if p != "float32" else ""),
    "dataset": RecipeChoice(lambda d: ("the full-size train files only" if d.endswith(":full-size")
                                       else "all the train files"),
                            lambda d: "--full-size-only" if d.endswith(":full-size") else ""),
    "flip": RecipeChoice(lambda on: "horizontal flips" if on else "no flips", lambda on: "--flip" if on else ""),
    "g_steps": RecipeChoice(lambda n: f"{n} G update{'s' if n != 1 else ''} per D update",
                            lambda n: f"--g-steps {n}" if n != 1 else ""),
    "lr_decay_start": RecipeChoice(lambda s: f"rate falling linearly to 0 from update {s:,}" if s else "constant rate",
                                   lambda s: f"--lr-decay-start {s}" if s else ""),
    "augment": RecipeChoice(lambda on: "D shown faces through DiffAugment's random colour and shift" if on
                            else "no augmentation", lambda on: "--augment" if on else ""),
    "label_smoothing": RecipeChoice(lambda s: f"D's target for real faces {1 - s:g} (one-sided label smoothing)" if s
                                    else "D's target for real faces 1", lambda s: f"--label-smoothing {s:g}" if s else ""),
    "d_lr_ratio": RecipeChoice(lambda r: f"D's Adam rate {r:g}× G's" if r != 1 else "one Adam rate for G and D",
                               lambda r: f"--d-lr-ratio {r:g}" if r != 1 else ""),
    "r1_gamma": RecipeChoice(lambda g: f"R1 penalty on D, γ = {g:g}" if g else "no penalty on D's gradient",
                             lambda g: f"--r1-gamma {g:g}" if g else ""),
    "init": RecipeChoice(lambda i: "started from the shipped weights" if i == "shipped" else "started from scratch",
                         lambda i: f"--init {i}" if i != "scratch" else ""),
}


def recipe_words(settings: dict, *, every: bool = False, flags: bool = False) -> list[str]:
    """The recipe choices recorded in ``settings`` (a train_config.json or a weights manifest) in
    words: those that differ from :class:`TrainConfig`'s defaults, or with ``every`` all of them;
    with ``flags``, each followed by the ``train`` flag that sets it."""
    defaults = asdict(TrainConfig())
    phrases = []
    for key, choice in RECIPE_CHOICES.items():
        if key not in settings or (settings[key] == defaults[key] and not every):
            continue
        flag = choice.flag(settings[key])
        phrases.append(f"{choice.words(settings[key])} (`{flag}`)" if flags and flag else choice.words(settings[key]))
    return phrases


# The optimiser's settings: always stated in words beside the recipe (batch, rate, EMA decay), and
# given as flags only where a run changed them.
OPTIMISER_FLAGS = {"batch_size": "--batch-size", "learning_rate": "--lr", "ema_decay": "--ema-decay"}


def recipe_flags(settings: dict) -> list[str]:
    """The ``train`` flags that set the recipe choices and changed optimiser settings recorded in
    ``settings``."""
    defaults = asdict(TrainConfig())
    return ([flag for key, choice in RECIPE_CHOICES.items() if key in settings and (flag := choice.flag(settings[key]))]
            + [f"{flag} {settings[key]:g}" for key, flag in OPTIMISER_FLAGS.items()
               if key in settings and settings[key] != defaults[key]])


def learning_rate_at(config: TrainConfig, step: int, total_steps: int) -> float:
    """Adam's rate for the update that follows ``step`` updates: ``config.learning_rate``, and from
    update ``config.lr_decay_start`` on (if not 0) falling linearly towards 0 at ``total_steps``
    (a recipe lever of the model card, not the paper's, which keeps the rate constant)."""
    start = config.lr_decay_start
    if start == 0 or step < start or total_steps <= start:
        return config.learning_rate
    return config.learning_rate * max(total_steps - step, 0) / (total_steps - start)


AUGMENT_SHIFT = 8  # DiffAugment's translation: up to 1/8 of the side, zero-padded


def augment_draws(rng, n: int) -> dict:
    """Random parameters of :func:`diff_augment` for ``n`` images, from a seeded
    ``tf.random.Generator`` (the trainer's, so a resumed run draws the same ones)."""
    import tensorflow as tf

    return {"brightness": rng.uniform((n, 1, 1, 1), -0.5, 0.5),
            "saturation": rng.uniform((n, 1, 1, 1), 0.0, 2.0),
            "contrast": rng.uniform((n, 1, 1, 1), 0.5, 1.5),
            "shift": rng.uniform((n, 2), -AUGMENT_SHIFT, AUGMENT_SHIFT + 1, dtype=tf.int32)}


def diff_augment(x, draws: dict):
    """DiffAugment's colour and translation (Zhao et al., NeurIPS 2020), a recipe lever of the
    model card, not the paper's: D judges real and generated faces only through the same kind of
    random brightness, saturation, contrast and shift, and G's gradient flows back through them,
    so a D trained on 14,283 faces for many epochs cannot simply memorise them. Every transform
    includes the identity (no shift, factor 1), so D still judges plain faces, which inpainting's
    perceptual loss (Eq. 3) and refinement ask of it; DiffAugment's cutout is left out for that
    reason. ``x``: (n, 64, 64, 3) in [−1, 1]; ``draws``: :func:`augment_draws`.
    """
    import tensorflow as tf

    x = x + tf.cast(draws["brightness"], x.dtype)
    mean = tf.reduce_mean(x, axis=3, keepdims=True)
    x = (x - mean) * tf.cast(draws["saturation"], x.dtype) + mean
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    x = (x - mean) * tf.cast(draws["contrast"], x.dtype) + mean
    pad, size = AUGMENT_SHIFT, x.shape[1]
    padded = tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
    rows = tf.range(size)[None, :] + pad - draws["shift"][:, :1]  # (n, size): source row of each output row
    cols = tf.range(size)[None, :] + pad - draws["shift"][:, 1:]
    x = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(x, cols, axis=2, batch_dims=1)


class TrainingDiverged(RuntimeError):
    """The losses became NaN or infinite: the run stops and keeps its last good checkpoint."""


def discriminator_loss(real_logits, fake_logits, label_smoothing: float = 0.0):
    """−log D(x) − log(1 − D(G(z))), from logits (Eq. 1, D's side).

    ``label_smoothing`` s > 0 asks D for 1 − s instead of 1 on real faces, the one-sided label
    smoothing of Salimans et al. (2016, §3.4): D is never pushed to full certainty on real faces,
    so it cannot grow logits that starve G of gradient. Fake faces keep the target 0 (smoothing
    that side too would reward G's mistakes). A recipe lever of the model card, not the paper's.
    """
    import tensorflow as tf

    bce = tf.nn.sigmoid_cross_entropy_with_logits
    real_target = tf.fill(tf.shape(real_logits), tf.cast(1.0 - label_smoothing, real_logits.dtype))
    return tf.reduce_mean(bce(real_target, real_logits)) + \
        tf.reduce_mean(bce(tf.zeros_like(fake_logits), fake_logits))


def r1_penalty(real_gradients, gamma: float):
    """γ/2 · E‖∇ₓ D(x)‖² over real faces x, the R1 penalty of Mescheder et al. (2018, Eq. 9).

    ``real_gradients`` is the gradient of the batch's summed logits with respect to the real faces
    D was shown, as Mescheder et al.'s code takes it (D's batch norm ties each logit to the whole
    batch, so this is not quite each face's own gradient). Added to D's loss, the penalty keeps D
    flat on the real faces, so D cannot win by sharpening its boundary there, the lead the model
    card records (D(fake) near 0.1). A recipe lever of the model card, not the paper's.
    """
    import tensorflow as tf

    squares = tf.reduce_sum(tf.square(tf.cast(real_gradients, tf.float32)), axis=[1, 2, 3])
    return 0.5 * gamma * tf.reduce_mean(squares)


def generator_loss(fake_logits):
    """−log D(G(z)), the non-saturating form of G's side of Eq. 1."""
    import tensorflow as tf

    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(fake_logits), fake_logits))


def make_strategy(name: str = "none"):
    """The ``tf.distribute`` strategy for a name: ``none`` (one device), ``mirrored`` or ``multiworker``.

    ``mirrored`` copies the models to every GPU of this machine, or, without GPUs, to every
    logical CPU device (tests make two with ``tf.config.set_logical_device_configuration``).
    ``multiworker`` is TensorFlow's MultiWorkerMirroredStrategy: every machine runs the same
    command with its own ``TF_CONFIG`` (the cluster's addresses and its own index); without
    ``TF_CONFIG`` it is one worker on this machine's devices.
    """
    import tensorflow as tf

    if name not in STRATEGIES:
        raise InputError(f"unknown strategy {name!r}: use one of {', '.join(STRATEGIES)}")
    if name == "none":
        return tf.distribute.get_strategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy([device.name for device in devices])


class DCGANTrainer:
    """Holds G, D, their optimisers, the EMA copy of G, a seeded random generator and the step.

    All of it is in one ``tf.train.Checkpoint``, so a resumed run continues exactly where the
    interrupted one stopped (same batches, same z draws, same weights), with or without a
    ``tf.distribute`` strategy: the checkpoint does not depend on how many devices wrote it.
    """

    def __init__(self, config: TrainConfig):
        import keras
        import tensorflow as tf

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
            adam = dict(beta_1=config.beta_1, beta_2=config.beta_2)
            self.g_opt = keras.optimizers.Adam(learning_rate=config.learning_rate, **adam)
            self.d_opt = keras.optimizers.Adam(learning_rate=config.learning_rate * config.d_lr_ratio, **adam)
            self.g_opt.build(self.G.trainable_variables)
            self.d_opt.build(self.D.trainable_variables)
            self.step = tf.Variable(0, dtype=tf.int64, name="step")
        self.rng = tf.random.Generator.from_seed(config.seed)  # draws z for the whole batch
        self.checkpoint = tf.train.Checkpoint(generator=self.G, discriminator=self.D, g_opt=self.g_opt,
                                              d_opt=self.d_opt, rng=self.rng, step=self.step,
                                              generator_ema=self.G_ema)
        self.train_step = tf.function(self._train_step)

    def set_learning_rate(self, rate: float) -> None:
        """G's Adam rate for the next update, and D's ``d_lr_ratio`` times it (read inside the
        compiled step)."""
        self.g_opt.learning_rate.assign(rate)
        self.d_opt.learning_rate.assign(rate * self.config.d_lr_ratio)

    def start_from(self, G, D) -> None:
        """Copy weights (e.g. the shipped ones) into G, its EMA copy and D before step 0."""
        self.G.set_weights(G.get_weights())
        self.G_ema.set_weights(G.get_weights())
        self.D.set_weights(D.get_weights())

    def _train_step(self, real):
        """One step of Eq. 1: D ascends log D(x) + log(1 − D(G(z))), G ascends log D(G(z)).

        z is drawn for the whole batch, then each device takes its slice of the batch and of z,
        so one device and several see the same numbers.
        """
        import tensorflow as tf

        n = tf.shape(real)[0]
        draws = [self.rng.uniform((n, Z_DIM), -1.0, 1.0) for _ in range(self.config.g_steps)]
        # One augmentation for the real batch and one for each batch G makes (none unless asked,
        # so runs without augmentation draw exactly the numbers they always did).
        augments = [augment_draws(self.rng, n) for _ in range(1 + self.config.g_steps)] if self.config.augment else []
        logs = self.strategy.run(self._replica_step, args=(real, draws, augments))
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

    def _replica_step(self, real, draws, augments):
        import tensorflow as tf

        context = tf.distribute.get_replica_context()
        replicas = context.num_replicas_in_sync
        # Each replica's mean loss is divided by the number of replicas: the optimisers sum the
        # replicas' gradients, which then equal the gradient of the whole batch's mean loss.
        share = tf.shape(real)[0] // replicas
        first = context.replica_id_in_sync_group * share

        def part(x):
            return x[first:first + share]

        def seen(images, which: int):  # what D is shown: the images, augmented if the recipe says so
            if not augments:
                return images
            return diff_augment(images, {key: part(value) for key, value in augments[which].items()})

        real, z = part(real), part(draws[0])
        gamma = self.config.r1_gamma
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.G(z, training=True)
            shown = seen(real, 0)
            # D sees the real faces once (its batch statistics move once); under R1 an inner tape
            # also takes the gradient of its logits with respect to those faces.
            with tf.GradientTape(watch_accessed_variables=False) as r1_tape:
                r1_tape.watch(shown)
                real_logits = self.D(shown, training=True)
            fake_logits = self.D(seen(fake, 1), training=True)
            d_loss = discriminator_loss(real_logits, fake_logits, self.config.label_smoothing)
            if gamma:
                d_loss += r1_penalty(r1_tape.gradient(real_logits, shown), gamma)
            g_loss = generator_loss(fake_logits)
            d_scaled, g_scaled = d_loss / replicas, g_loss / replicas
        self.d_opt.apply_gradients(zip(d_tape.gradient(d_scaled, self.D.trainable_variables),
                                       self.D.trainable_variables))
        self.g_opt.apply_gradients(zip(g_tape.gradient(g_scaled, self.G.trainable_variables),
                                       self.G.trainable_variables))
        for which, extra in enumerate(draws[1:], start=2):  # extra G updates on fresh z (Yeh et al.'s code)
            with tf.GradientTape() as g_tape:
                g_loss = generator_loss(self.D(seen(self.G(part(extra), training=True), which), training=True))
                g_scaled = g_loss / replicas
            self.g_opt.apply_gradients(zip(g_tape.gradient(g_scaled, self.G.trainable_variables),
                                           self.G.trainable_variables))
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


def _checkpoint_numbers(folder: Path) -> list[int]:
    """Step numbers of the checkpoints in ``folder`` whose files are all there, newest first.

    Read from the files themselves, not only from TensorFlow's ``checkpoint`` state file, so a
    deleted state file does not silently restart a run at step 0.
    """
    numbers = []
    for index in folder.glob("ckpt-*.index"):
        stem = index.name[len("ckpt-"):-len(".index")]
        if stem.isdigit() and any(folder.glob(f"ckpt-{stem}.data-*")):
            numbers.append(int(stem))
    return sorted(numbers, reverse=True)


def _restore_newest_intact(trainer: DCGANTrainer, folder: Path, say) -> int | None:
    """Restore the newest checkpoint that loads; fall back over damaged ones and say so."""
    for leftover in folder.glob("ckpt-*_temp*"):  # a save killed half-way leaves its temp folder
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
            say(f"removed {leftover.name}, left by a checkpoint save that was interrupted")
    numbers = _checkpoint_numbers(folder)
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
        raise InputError(f"every checkpoint in {folder} is damaged ({damaged}); "
                           "remove the folder to start again")
    return None


def _same_settings(saved: dict, wanted: dict, step: int = 0) -> list[str]:
    """The settings that differ between a saved run, ``step`` updates in, and this call.

    A checkpoint resumes under any ``strategy``. ``epochs`` may change, and ``lr_decay_start``
    may be set or moved, as long as the rate of the ``step`` updates already made is the same
    under both (no decay has begun): that is how a decay tail branches off a copy of a constant
    run. A run saved before a setting existed had that setting's default.
    """
    saved = {**asdict(TrainConfig()), "train_images": wanted.get("train_images"), **saved}

    def decaying(settings: dict) -> bool:
        return 0 < settings["lr_decay_start"] < step

    free = {"strategy"}  # a run may move between devices
    if not decaying(saved) and not decaying(wanted):
        free |= {"epochs", "lr_decay_start"}
    keys = (set(saved) | set(wanted)) - free
    return sorted(k for k in keys if saved.get(k) != wanted.get(k))


def _branch_source(source: Path, out: Path, config: TrainConfig, resume: bool,
                   has_checkpoints: bool) -> tuple[Path, dict]:
    """The run folder a branch starts from and its settings, after checking that the branch can be made."""
    if resume:
        raise InputError("branch_from starts a new run; to continue a branch, resume it without branch_from")
    if has_checkpoints:
        raise FileExistsError(f"{out} already holds checkpoints: a branch starts in a folder of its own")
    source = source.resolve()
    if source == out.resolve():
        raise InputError(f"a run cannot branch from itself ({source})")
    if not _checkpoint_numbers(source / "checkpoints"):
        raise InputError(f"{source} holds no checkpoint to branch from")
    try:
        saved = json.loads((source / "train_config.json").read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(f"cannot read the settings of the run to branch from ({source / 'train_config.json'}: "
                         f"{error})") from None
    if saved.get("width", TrainConfig().width) != config.width:
        raise InputError(f"the run in {source} has width {saved.get('width')}, this call {config.width}: "
                         "a branch keeps the networks' shapes")
    return source, saved


def train(images: np.ndarray, out: str | Path, config: TrainConfig | None = None, *,
          resume: bool = False, max_steps: int | None = None, progress: bool = True,
          samples_every_epoch: bool = True, tuning_faces: np.ndarray | None = None,
          tune_every: int = 1000, tune_steps: int = 200, branch_from: str | Path | None = None) -> dict:
    """Train the DCGAN on ``images`` (N, 64, 64, 3) in [−1, 1]; checkpoints and logs go to ``out``.

    ``resume`` continues from the newest intact checkpoint in ``out/checkpoints`` (the run's
    settings must match; a damaged newest checkpoint falls back to the one before). ``max_steps``
    stops early after saving a checkpoint. ``tuning_faces``: every ``tune_every`` steps G and its
    EMA copy are fitted to these held-out faces (:func:`heldout_fit`, ``tune_steps`` steps), and
    at the run's last step (``epochs``, not a ``max_steps`` pause); the
    fits go to TensorBoard and ``out/tuning.json``, and the best generator so far is kept in
    ``out/best/``. Losses that turn NaN or infinite stop the run (:class:`TrainingDiverged`)
    without saving. Returns the history of per-step losses this call ran, and the final step.

    ``branch_from``: another run's folder. This new run (``out`` holds no checkpoint yet) starts
    from that run's newest intact checkpoint (weights, optimisers, EMA, step, random state) and
    goes on under *this* call's settings, e.g. two G updates per D update: one recipe change
    measured from the middle of a long run at equal updates. ``train_config.json`` records where
    it branched from, and ``resume`` continues the branch like any run.
    """
    import tensorflow as tf
    from tqdm.auto import tqdm

    from .data import train_dataset
    from .storage import atomic_write_text

    config = config or TrainConfig()
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[1:] != (64, 64, 3):
        raise InputError(f"images must have shape (N, 64, 64, 3), got {images.shape}")
    if not np.isfinite(images).all():
        raise InputError("images contain NaN or infinite values")
    if images.min() < -1.0 - 1e-6 or images.max() > 1.0 + 1e-6:
        raise InputError(f"images must lie in [-1, 1], got [{images.min():.3g}, {images.max():.3g}]")
    steps_per_epoch = len(images) // config.batch_size
    if steps_per_epoch == 0:
        raise InputError(f"{len(images)} images are fewer than one batch of {config.batch_size}")
    out = Path(out)
    _check_output_dir(out)
    config_file = out / "train_config.json"
    wanted = {**asdict(config), "train_images": len(images)}
    folder = out / "checkpoints"
    numbers = _checkpoint_numbers(folder)  # none when the folder does not exist
    has_checkpoints = bool(numbers)
    if branch_from is not None:
        source, source_settings = _branch_source(Path(branch_from), out, config, resume, has_checkpoints)
    if has_checkpoints and not resume:
        raise FileExistsError(f"{out} already holds checkpoints: pass resume=True (--resume) or pick "
                              "another output folder")
    if resume and config_file.exists():
        try:
            saved = json.loads(config_file.read_text())
        except json.JSONDecodeError as error:
            raise InputError(f"{config_file} is damaged ({error}); cannot check the run's settings") from None
        if "branched_from" in saved:  # a branch resumes without naming its source again
            wanted["branched_from"] = saved["branched_from"]
            if not has_checkpoints:  # never start a branch again from scratch
                raise InputError(f"the branch in {out} has no checkpoint yet: remove {config_file} and start it "
                                 f"again with --branch-from {saved['branched_from']['run']}")
        differ = _same_settings(saved, wanted, max(numbers, default=0))
        if differ:
            detail = ", ".join(f"{k}: {saved.get(k)!r} → {wanted.get(k)!r}" for k in differ)
            raise InputError(f"--resume with settings that differ from the run in {out}: {detail}")
    elif resume and has_checkpoints:
        raise InputError(f"{config_file} is missing, so the settings of the checkpoints in {folder} "
                         "cannot be checked; restore it or start a new run in another folder")

    messages: list[str] = []

    def say(text: str) -> None:
        messages.append(text)
        print(f"inpaintkit train: {text}")

    trainer = DCGANTrainer(config)
    restored = _restore_newest_intact(trainer, folder, say) if resume and folder.is_dir() else None
    if branch_from is not None:
        restored = _restore_newest_intact(trainer, source / "checkpoints", say)
        # The source's settings too, so that the whole recipe of a branch can be told (model card).
        wanted["branched_from"] = {"run": str(source), "step": restored, "settings": source_settings}
        say(f"branched from {source} at step {restored}")
    if restored is None and config.init == "shipped":
        G0, D0 = load_weights(WEIGHTS_DIR, width=config.width)
        trainer.start_from(G0, D0)
        say("starting from the shipped weights (init='shipped')")
    # Written only once every check has passed, so a refused call changes nothing on disk.
    atomic_write_text(config_file, json.dumps(wanted, indent=2))
    manager = tf.train.CheckpointManager(trainer.checkpoint, folder, max_to_keep=config.keep_checkpoints)
    if branch_from is not None:
        manager.save(checkpoint_number=restored)  # the branch point, so the branch resumes from its own folder
    tuning = _Tuning(out, tuning_faces, tune_every, tune_steps, trainer, config.seed) \
        if tuning_faces is not None else None

    total_steps = steps_per_epoch * config.epochs
    last_step = total_steps if max_steps is None else min(total_steps, max_steps)
    writer = tf.summary.create_file_writer(str(out / "logs"))
    fixed_z = sample_z(64, seed=config.seed + 1)
    history: dict[str, list[float]] = {"d_loss": [], "g_loss": [], "d_real": [], "d_fake": []}
    start = int(trainer.step.numpy())
    # A checkpoint brings back the rates it was saved with; this call's settings decide them, so a
    # branch with another --lr or --d-lr-ratio really trains at its own rates.
    trainer.set_learning_rate(learning_rate_at(config, start, total_steps))
    bar = tqdm(total=last_step, initial=start, desc="training DCGAN", disable=not progress, unit="step")
    began, seen = time.perf_counter(), 0
    resident = tf.constant(images)  # one copy for all epochs
    while int(trainer.step.numpy()) < last_step:
        step = int(trainer.step.numpy())
        epoch, done_in_epoch = divmod(step, steps_per_epoch)
        for batch in train_dataset(resident, config.batch_size, seed=config.seed, epoch=epoch,
                                   skip_batches=done_in_epoch, flip=config.flip):
            if config.lr_decay_start:
                rate = learning_rate_at(config, step, total_steps)
                trainer.set_learning_rate(rate)
                with writer.as_default(step=step + 1):
                    tf.summary.scalar("learning_rate", rate)
            logs = {k: float(v) for k, v in trainer.train_step(batch).items()}
            step = int(trainer.step.numpy())
            if not all(np.isfinite(v) for v in logs.values()):
                bar.close()
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
                manager.save(checkpoint_number=step)
            # The run's last G is always measured: it is the one a learning-rate decay ends on.
            if tuning is not None and (step % tune_every == 0 or step == total_steps):
                tuning.measure(step, writer)
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
            "G_ema": trainer.G_ema, "seconds": time.perf_counter() - began,
            "steps_per_epoch": steps_per_epoch, "messages": messages}


class _Tuning:
    """Every ``every`` steps: fit G and its EMA copy to held-out tuning faces; keep the best.

    The log (``tuning.json``) and the best generator (``best/``) are written atomically, and the
    log is read back on resume, so an interrupted run keeps its best-so-far.
    """

    def __init__(self, out: Path, faces, every: int, steps: int, trainer: DCGANTrainer, seed: int):
        if every < 1 or steps < 1:
            raise InputError(f"tune_every and tune_steps must be at least 1, got {every} and {steps}")
        self.faces, self.every, self.steps, self.trainer, self.seed = faces, every, steps, trainer, seed
        self.log_file, self.best_dir = out / "tuning.json", out / "best"
        self.log = json.loads(self.log_file.read_text()) if self.log_file.exists() else []

    def best(self) -> dict | None:
        return min(self.log, key=lambda row: row["best_mse"]) if self.log else None

    def measure(self, step: int, writer) -> dict:
        import tensorflow as tf

        from .storage import atomic_write_text

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
        if previous is None or row["best_mse"] < previous["best_mse"]:
            export_weights(G_ema if which == "ema" else G, D, self.best_dir,
                           meta={"step": step, "generator": which, "tuning_fit_mse": row["best_mse"],
                                 "width": self.trainer.config.width,
                                 # how best/ was chosen, so an export can print flags that reproduce it
                                 "tuning": {"faces": len(self.faces), "every": self.every, "steps": self.steps},
                                 "licence": "CelebA: non-commercial research purposes only"})
        atomic_write_text(self.log_file, json.dumps(self.log, indent=1) + "\n")
        print(f"inpaintkit train: step {step}: tuning fit MSE raw G {raw:.1f}, EMA G {ema:.1f}"
              f"{' (best so far)' if previous is None or row['best_mse'] < previous['best_mse'] else ''}")
        return row


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


def read_manifest(folder: str | Path = WEIGHTS_DIR) -> dict:
    """The manifest of a folder written by :func:`export_weights`, refused unless it lists the
    sha256 of both weights files (the files themselves are checked by :func:`load_weights`)."""
    manifest_path = Path(folder) / "manifest.json"
    if not manifest_path.exists():
        raise WeightsError(f"no manifest.json in {folder}: the weights are missing")
    try:
        manifest = json.loads(manifest_path.read_text())
    except json.JSONDecodeError as error:
        raise WeightsError(f"{manifest_path} is damaged: {error}") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    needed = {"generator.weights.h5", "discriminator.weights.h5"}
    if not isinstance(files, dict) or not needed <= set(files):
        raise WeightsError(f"{manifest_path} does not list the sha256 of both {' and '.join(sorted(needed))}: "
                           "the weights cannot be checked, so they are not loaded")
    return manifest


def generator_sha256(folder: str | Path = WEIGHTS_DIR) -> str:
    """The sha256 of the generator in ``folder`` as its manifest lists it: which G a stored
    measurement was made on."""
    return read_manifest(folder)["files"]["generator.weights.h5"]


def weights_fingerprint(*models) -> str:
    """sha256 of the models' weights (values, shapes and order): which G and D produced a stored
    result, for models in memory as much as for files. The same weights give the same digest
    whatever file they were loaded from."""
    import hashlib

    digest = hashlib.sha256()
    for model in models:
        for weight in model.weights:
            value = np.ascontiguousarray(np.asarray(weight.numpy(), dtype=np.float32))
            digest.update(str(value.shape).encode())
            digest.update(value.tobytes())
    return digest.hexdigest()


def load_weights(folder: str | Path = WEIGHTS_DIR, width: int | None = None):
    """(G, D) from a folder written by :func:`export_weights`; every file's sha256 is checked."""
    from .storage import sha256_file

    folder = Path(folder)
    manifest = read_manifest(folder)
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


def describe_weights(folder: str | Path = WEIGHTS_DIR) -> str:
    """How the weights in ``folder`` were trained and how well they fit held-out faces, in one
    paragraph read from their manifest (written by ``scripts/export_weights.py``), so that the
    README and notebook 01 never quote a replaced generator's recipe."""
    meta = read_manifest(folder)
    recipe = [f"batch {meta['batch_size']}", f"Adam lr {meta['learning_rate']:g}", f"seed {meta['seed']}",
              *recipe_words(meta)]
    which = "the exponential moving average of G's weights" if meta.get("generator") == "ema" else "G itself"
    wall = f", {meta['wall_time_s'] / 3600:.1f} h on 2 CPU cores" if meta.get("wall_time_s") else ""
    fit = meta["heldout_fit"]
    trained = fit.get("candidate", fit.get("mse_trained"))
    untrained = fit.get("untrained", fit.get("mse_untrained"))
    return (f"{meta['steps']:,} updates ({meta['epochs']} epochs) on the {meta['train_images']:,} CelebA train "
            f"faces of the subset ({', '.join(recipe)}{wall}); the shipped generator is {which}. Fitting z "
            f"to {fit['faces']} held-out validation faces with the inpainting optimiser ({fit['steps']} steps) "
            f"gives a mean MSE of {trained:,.0f} (0–255) against {untrained:,.0f} for an untrained generator "
            "of the same architecture.")


def load_pretrained():
    """The shipped generator and discriminator, trained on CelebA (see weights/MODEL_CARD.md)."""
    return load_weights(WEIGHTS_DIR)


def weights_from_checkpoint(checkpoint_dir: str | Path, width: int = PAPER_WIDTH):
    """(G, D, step) restored from the newest checkpoint of a training run."""
    import tensorflow as tf

    G, D = build_generator(width), build_discriminator(width)
    latest = tf.train.latest_checkpoint(str(checkpoint_dir))
    if latest is None:
        raise WeightsError(f"no checkpoint in {checkpoint_dir}")
    tf.train.Checkpoint(generator=G, discriminator=D).restore(latest).expect_partial()
    return G, D, int(latest.rsplit("-", 1)[1])


# ----------------------------------------------------------------------------- measuring G
def layer_shapes(model) -> list[tuple[str, tuple]]:
    """(layer name, output shape without the batch) for each layer: the drawing of notebook 01."""
    return [(layer.name, tuple(layer.output.shape[1:])) for layer in model.layers]


def heldout_fit(G, D, faces, *, steps: int = 500, seed: int = 0, report_at: Iterable[int] = (),
                progress: bool = False) -> dict:
    """How well G can represent faces it never saw: fit z to whole faces (no hole) with the
    inpainting optimiser (Adam 0.003, β = (0.5, 0.9), z clipped to [−1, 1]) minimising the L1
    distance, then report the MSE on the 0–255 scale per face. A trained G must beat an
    untrained one of the same architecture by a wide margin.

    ``report_at``: step counts below ``steps`` whose mean MSE is also reported (``"mean_mse_at"``).
    Adam's path does not depend on the budget, so the MSE after 40 steps of a 500-step fit is
    the MSE of a 40-step fit: one fit gives the whole curve.
    """
    import tensorflow as tf

    from .inpainting import optimize_latent
    from .metrics import image_metrics

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


FIT_STEPS = WEIGHTS_DIR / "fit_steps.json"


def load_fit_steps(path: str | Path = FIT_STEPS, weights: str | Path = WEIGHTS_DIR) -> dict:
    """How the held-out fit of the shipped G (and of an untrained G) improves with the number of
    Adam steps, on the built-in faces and on CelebA tuning faces (written by
    ``scripts/measure_fit_steps.py``). Refused when it was measured on other weights than those
    in ``weights``, so a notebook never quotes a stale generator's numbers."""
    path = Path(path)
    if not path.exists():
        raise WeightsError(f"{path} is missing: run scripts/measure_fit_steps.py")
    record = json.loads(path.read_text())
    if record.get("generator_sha256") != generator_sha256(weights):
        raise WeightsError(f"{path} was measured on another generator than the one in {weights}: "
                           "run scripts/measure_fit_steps.py again")
    return record


def load_lr_comparison(path: str | Path = LR_COMPARISON) -> dict:
    """The stored comparison of learning rates (written by ``scripts/compare_learning_rates.py``)."""
    path = Path(path)
    if not path.exists():
        raise WeightsError(f"{path} is missing: run scripts/compare_learning_rates.py")
    return json.loads(path.read_text())

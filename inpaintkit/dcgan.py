"""The DCGAN of Yeh et al. (Radford et al.'s architecture) and its objective, §1.2 Eq. 1 and §3.2.

Generator: z ∈ ℝ¹⁰⁰ ~ U[−1, 1] → dense 4×4×8w → 5×5 stride-2 transposed convolutions to 4w, 2w,
w channels (batch norm + ReLU) → 3 channels with tanh, 64×64. Discriminator: 5×5 stride-2
convolutions w, 2w, 4w, 8w (batch norm from the second on, leaky ReLU 0.2) → one logit.
The paper's width is w = 64. D returns a *logit*; its probability of "real" is the sigmoid.

Eq. 1, min_G max_D  E_x[log D(x)] + E_z[log(1 − D(G(z)))], is trained in its usual
non-saturating form (G maximises log D(G(z)) rather than minimising log(1 − D(G(z))), which has
vanishing gradients early on): :func:`discriminator_loss` and :func:`generator_loss`. How the two
networks are trained (Adam, the loop, checkpoints) is :mod:`inpaintkit.training`; saving and
loading weights is :mod:`inpaintkit.weights`.
"""
from __future__ import annotations

import numpy as np

from ._tf import keras, tf
from .errors import InputError
from .latent import Z_DIM, sample_z

__all__ = ["PAPER_WIDTH", "PRECISIONS", "Z_DIM", "build_discriminator", "build_generator", "check_precision",
           "discriminator_loss", "generator_loss", "interpolate", "layer_shapes", "precision_of",
           "probability_real", "sample_z", "width_of", "with_precision"]

PAPER_WIDTH = 64
_BN = dict(momentum=0.9, epsilon=1e-5)  # DCGAN's batch-norm settings
PRECISIONS = ("float32", "mixed_bfloat16")


def check_precision(precision: str) -> str:
    """A Keras dtype policy name: ``float32``, or ``mixed_bfloat16`` (bf16 maths, float32 variables)."""
    if precision not in PRECISIONS:
        raise InputError(f"unknown precision {precision!r}: use one of {', '.join(PRECISIONS)}")
    return precision


def build_generator(width: int = PAPER_WIDTH, z_dim: int = Z_DIM, precision: str = "float32",
                    synchronized: bool = False):
    """G: z (N, 100) in [−1, 1] → image (N, 64, 64, 3) in [−1, 1] (§1.2, Yeh et al.'s DCGAN).

    ``precision="mixed_bfloat16"`` computes the hidden layers in bfloat16 with float32 weights;
    the output layer stays float32, so images and every loss built on them are float32.
    ``synchronized`` batch norm pools the batch statistics over the replicas of a
    ``tf.distribute`` strategy, so a batch split over devices is normalised as one batch.
    """
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


def width_of(G) -> int:
    """The width w of a generator built by :func:`build_generator` (its last layer's input channels)."""
    return int(G.layers[-1].input.shape[-1])


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
    width = width_of(G)
    G2, D2 = build_generator(width, precision=precision), build_discriminator(width, precision=precision)
    G2.set_weights(G.get_weights())
    D2.set_weights(D.get_weights())
    return G2, D2


def discriminator_loss(real_logits, fake_logits):
    """D's side of Eq. 1 as a loss to minimise: −log D(x) − log(1 − D(G(z))), from logits.

    Parameters
    ----------
    real_logits, fake_logits : tensors (N, 1)
        D's logits on real faces and on G's faces.

    Returns
    -------
    scalar tensor
        The mean over the batch. Written with ``sigmoid_cross_entropy_with_logits``, which is finite
        for every logit (a naive ``-log(sigmoid(l))`` overflows to infinity near l = −90 in float32).

    References
    ----------
    The paper's Eq. 1 (§1.2); Goodfellow et al. 2014.
    """
    bce = tf.nn.sigmoid_cross_entropy_with_logits
    return tf.reduce_mean(bce(tf.ones_like(real_logits), real_logits)) + \
        tf.reduce_mean(bce(tf.zeros_like(fake_logits), fake_logits))


def generator_loss(fake_logits):
    """G's side of Eq. 1 in its non-saturating form: −log D(G(z)), mean over the batch, from logits."""
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(fake_logits), fake_logits))


def probability_real(D, images) -> np.ndarray:
    """D's probability that each image is real: sigmoid of its logit, (N,)."""
    return tf.sigmoid(D(images, training=False))[:, 0].numpy()


def layer_shapes(model) -> list[tuple[str, tuple]]:
    """(layer name, output shape without the batch) for each layer: the drawing of notebook 01."""
    return [(layer.name, tuple(layer.output.shape[1:])) for layer in model.layers]


def interpolate(G, z_start, z_end, steps: int = 8) -> np.ndarray:
    """G along the straight line from ``z_start`` to ``z_end`` (both in [−1, 1]^100)."""
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    z = (1 - t) * np.asarray(z_start, np.float32)[None] + t * np.asarray(z_end, np.float32)[None]
    return G(z, training=False).numpy()

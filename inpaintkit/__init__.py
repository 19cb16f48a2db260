"""inpaintkit: semantic inpainting of faces with a refinement GAN, as a teaching kit.

One module per idea of the paper (Malesevic, Mayer, Gu, Timofte):
``data`` (CelebA framing), ``masks`` (the six hole patterns, §3.3), ``dcgan`` (Eq. 1, §3.2),
``losses`` (Eq. 3–5), ``inpainting`` (Eq. 2), ``blending`` (Eq. 6), ``refinement`` (Eq. 7–9),
``pipeline`` (Fig. 8), ``shortcomings`` (§1.4), ``metrics`` (§3.4), ``evaluation`` (Tables 1, 2),
``widgets`` and ``plotting`` for the notebooks. Settings: :mod:`inpaintkit.config`; the
notebooks' opening call: :mod:`inpaintkit.session`.
"""
import functools
import os
import sys

from . import session as _session
from .config import budget, fast_mode

__version__ = "0.1.0"


def quiet_tensorflow() -> None:
    """Import TensorFlow with its C++ start-up logs silenced (issue 13: red stderr boxes).

    CUDA probing, oneDNN and CPU-feature notices are written by absl straight to file
    descriptor 2 *before* ``TF_CPP_MIN_LOG_LEVEL`` is read, so neither that variable nor Python's
    logging can hide them; a notebook shows each as a red stderr box. The import (and the first
    device query, which logs the failed ``cuInit`` on a machine without a GPU) therefore runs with
    descriptor 2 pointed at /dev/null, and the variable stays at 2 for later warnings. Errors are
    still raised as Python exceptions. Called by :func:`setup` and before any TensorFlow module
    of the kit loads; importing TensorFlow yourself first is harmless (then nothing is silenced).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf

        tf.config.list_physical_devices()
        tf.get_logger().setLevel("ERROR")  # Python-side notices such as retracing warnings
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@functools.wraps(_session.setup)
def setup(*args, **kwargs):
    """The one call every notebook opens with: :func:`inpaintkit.session.setup`, TensorFlow quiet."""
    quiet_tensorflow()
    return _session.setup(*args, **kwargs)


def load_pretrained():
    """The shipped (G, D) trained on CelebA; see ``inpaintkit/weights/MODEL_CARD.md``."""
    quiet_tensorflow()
    from .dcgan import load_pretrained as _load

    return _load()


_MODULES = {"blending", "config", "data", "dcgan", "evaluation", "exercises", "inpainting", "latent", "losses",
            "masks", "metrics", "pipeline", "plotting", "refinement", "reports", "session", "shortcomings",
            "widgets"}


def __getattr__(name: str):
    """``ik.blending``, ``ik.widgets``, …: modules load on first use (TensorFlow is slow to import)."""
    if name in _MODULES:
        import importlib

        quiet_tensorflow()
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'inpaintkit' has no attribute {name!r}")


__all__ = ["budget", "fast_mode", "load_pretrained", "quiet_tensorflow", "setup", "__version__"]

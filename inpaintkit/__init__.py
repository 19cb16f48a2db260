"""inpaintkit: semantic inpainting of faces with a refinement GAN, as a teaching kit.

One module per idea of the paper (Malesevic, Mayer, Gu, Timofte), in the paper's order:

==============  =============================================================
``data``        CelebA framed as 64×64 faces (§3.1); the built-in portraits
``masks``       the six hole patterns (§3.3); the sets known / missing
``dcgan``       the two networks and Eq. 1 (§1.2)
``training``    training them (§3.2), with resume
``weights_io``  the shipped weights: save, check, load
``losses``      Eq. 3–5: weighted content loss, perceptual loss
``inpainting``  Eq. 2: Adam on z (Yeh et al.)
``blending``    Eq. 6: Poisson blending, exact and with cvxpy
``refinement``  Eq. 7–9: the refinement GAN (§2)
``pipeline``    Fig. 8: inpaint → blend → refine → blend, in one function
``shortcomings`` §1.4 measured
``metrics``     §3.4: MAE, MSE, PSNR, mean SSIM
``evaluation``  Tables 1 and 2 (running); ``reports`` (tables, from the runs)
==============  =============================================================

Around them: ``faces`` (your own photo framed like CelebA), ``widgets`` and ``plotting`` for the
notebooks, ``figures`` (every committed figure), ``config`` (the budgets and folders, from the
environment), ``budget_curve`` (the quality-against-steps measurement behind the lab budget),
``session`` (the notebooks' opening call), ``cli`` (the command line).
"""
from __future__ import annotations

import functools
import importlib

from . import session as _session
from .config import budget, fast_mode

__version__ = "0.1.0"
__all__ = ["budget", "fast_mode", "load_pretrained", "quiet_tensorflow", "setup", "__version__"]

_MODULES = {"blending", "budget_curve", "cli", "config", "data", "dcgan", "evaluation", "faces", "figures",
            "inpainting", "latent", "losses", "masks", "metrics", "pipeline", "plotting", "refinement", "reports",
            "session", "shortcomings", "storage", "training", "weights_io", "widgets"}


def quiet_tensorflow() -> None:
    """Import TensorFlow with its C++ start-up logs silenced (see :mod:`inpaintkit._tf`)."""
    importlib.import_module("._tf", __name__)


@functools.wraps(_session.setup)
def setup(*args, **kwargs):
    """The one call every notebook opens with: :func:`inpaintkit.session.setup`, TensorFlow quiet."""
    quiet_tensorflow()
    return _session.setup(*args, **kwargs)


def load_pretrained():
    """The shipped (G, D) trained on CelebA; see ``inpaintkit/weights/MODEL_CARD.md``."""
    return importlib.import_module(".weights_io", __name__).load_pretrained()


def __getattr__(name: str):
    """``ik.blending``, ``ik.widgets``, …: modules load on first use (TensorFlow is slow to import)."""
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'inpaintkit' has no attribute {name!r}")

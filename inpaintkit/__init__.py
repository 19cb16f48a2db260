"""inpaintkit: semantic inpainting of faces with a refinement GAN, as a teaching kit.

One module per idea of the paper (Malesevic, Mayer, Gu, Timofte):
``data`` (CelebA framing), ``masks`` (the six hole patterns, §3.3), ``dcgan`` (Eq. 1, §3.2),
``losses`` (Eq. 3–5), ``inpainting`` (Eq. 2), ``blending`` (Eq. 6), ``refinement`` (Eq. 7–9),
``pipeline`` (Fig. 8), ``shortcomings`` (§1.4), ``metrics`` (§3.4), ``evaluation`` (Tables 1, 2),
``widgets`` and ``plotting`` for the notebooks. Settings: :mod:`inpaintkit.config`; the
notebooks' opening call: :mod:`inpaintkit.session`.
"""
from .config import budget, fast_mode
from .session import setup

__version__ = "0.1.0"


def load_pretrained():
    """The shipped (G, D) trained on CelebA; see ``inpaintkit/weights/MODEL_CARD.md``."""
    from .dcgan import load_pretrained as _load

    return _load()


_MODULES = {"blending", "config", "data", "dcgan", "evaluation", "inpainting", "losses", "masks",
            "metrics", "pipeline", "plotting", "refinement", "reports", "session", "shortcomings", "widgets"}


def __getattr__(name: str):
    """``ik.blending``, ``ik.widgets``, …: modules load on first use (TensorFlow is slow to import)."""
    if name in _MODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'inpaintkit' has no attribute {name!r}")


__all__ = ["budget", "fast_mode", "load_pretrained", "setup", "__version__"]

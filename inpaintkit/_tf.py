"""TensorFlow and Keras, imported once with TensorFlow's C++ start-up logs silenced.

CUDA probing, oneDNN and CPU-feature notices are written by absl straight to file descriptor 2
*before* ``TF_CPP_MIN_LOG_LEVEL`` is read, so neither that variable nor Python's logging can hide
them; a notebook shows each as a red stderr box. The import (and the first device query, which
logs the failed ``cuInit`` on a machine without a GPU) therefore runs with descriptor 2 pointed at
/dev/null, and the variable stays at 2 for later warnings. Errors are still raised as Python
exceptions. Every module of the kit that needs TensorFlow imports it from here; importing
TensorFlow yourself first is harmless (then nothing is silenced).
"""
from __future__ import annotations

import os
import sys

__all__ = ["keras", "tf"]


def _import_quietly() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow

        tensorflow.config.list_physical_devices()
        tensorflow.get_logger().setLevel("ERROR")  # Python-side notices such as retracing warnings
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_import_quietly()

import keras  # noqa: E402  (after the quiet import above)
import tensorflow as tf  # noqa: E402

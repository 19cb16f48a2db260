"""Banded Cholesky (LAPACK ``dpbtrf``/``dpbtrs``) that other threads can run beside.

Blending factorises one symmetric positive definite band matrix per mask (:mod:`.blending`).
scipy's own wrappers (``scipy.linalg.cholesky_banded``, ``scipy.linalg.lapack.dpbtrf``) keep
Python's GIL for the whole call, so two threads cannot factorise two masks at once. The same
LAPACK routines are published by ``scipy.linalg.cython_lapack``; called through ctypes they
run without the GIL. Where that table is missing or has another signature, the f2py wrappers
are used instead: same answers, one factorisation at a time.

Storage (LAPACK's lower band form, row-major here): ``band[j, i - j] = A[i, j]`` for
``0 <= i - j <= kd``, an (n, kd + 1) float64 C-contiguous array; the factor overwrites it.

Band memory is recycled (:class:`Spares`): a factor's band is megabytes, and fresh memory costs a
page fault per 4 KiB page the first time it is written, about 2–5 µs each on the 2-core machine
the kit was measured on: 1–3 ms for the 2.4 MB band of a 70 % hole, as long as factorising it.
"""
from __future__ import annotations

import ctypes
import re
import threading
import weakref

import numpy as np
import scipy.linalg.lapack as _f2py

_int, _double = ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_double)
# (uplo, n, kd, ab, ldab, info) and (uplo, n, kd, nrhs, ab, ldab, b, ldb, info), all by reference.
_SIGNATURES = {"dpbtrf": (ctypes.c_char_p, _int, _int, _double, _int, _int),
               "dpbtrs": (ctypes.c_char_p, _int, _int, _int, _double, _int, _double, _int, _int)}
_C_TYPES = {ctypes.c_char_p: "char *", _int: "int *", _double: "double *"}


def _from_cython_table(name: str):
    """The routine from scipy's Cython LAPACK table as a ctypes function, or None."""
    try:
        from scipy.linalg import cython_lapack
        capsule = cython_lapack.__pyx_capi__[name]
    except (ImportError, AttributeError, KeyError):
        return None
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    signature = get_name(capsule)
    # The table states each signature; use it only if it is exactly the one assumed above (a
    # build with 64-bit LAPACK integers would say so). scipy names double "…cython_lapack_d".
    expected = "void (" + ", ".join(_C_TYPES[t] for t in _SIGNATURES[name]) + ")"
    if signature is None or re.sub(r"\w*cython_lapack_d \*", "double *", signature.decode()) != expected:
        return None
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return ctypes.CFUNCTYPE(None, *_SIGNATURES[name])(get_pointer(capsule, signature))


_PBTRF, _PBTRS = _from_cython_table("dpbtrf"), _from_cython_table("dpbtrs")
RELEASES_GIL = _PBTRF is not None and _PBTRS is not None


def _ref(value: int):
    return ctypes.byref(ctypes.c_int(value))


def cholesky_banded(band: np.ndarray) -> np.ndarray:
    """Factorise A = L Lᵀ in place; returns ``band``, now holding L. Raises if A is not positive definite."""
    if band.dtype != np.float64 or not band.flags.c_contiguous:
        raise ValueError("band must be a C-contiguous float64 (n, kd + 1) array")
    n, kd = band.shape[0], band.shape[1] - 1
    if RELEASES_GIL:
        info = ctypes.c_int(0)
        _PBTRF(b"L", _ref(n), _ref(kd), band.ctypes.data_as(_double), _ref(kd + 1), ctypes.byref(info))
        info = info.value
    else:
        factor, info = _f2py.dpbtrf(band.T, lower=1)
        band.T[...] = factor
    if info != 0:
        raise np.linalg.LinAlgError(f"the band matrix is not positive definite (LAPACK dpbtrf info={info})")
    return band


def solve_banded(factor: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve A X = rhs with the factor from :func:`cholesky_banded`; rhs is (n, k), X float64 (n, k)."""
    n, kd = factor.shape[0], factor.shape[1] - 1
    if rhs.shape[0] != n:
        raise ValueError(f"rhs has {rhs.shape[0]} rows for a factor of order {n}")
    if not RELEASES_GIL:
        solution, info = _f2py.dpbtrs(factor.T, rhs, lower=1)
        return solution
    # LAPACK reads column-major (n, k): the rows of a C-contiguous (k, n) array.
    columns = np.array(rhs.T, dtype=np.float64, order="C")
    info = ctypes.c_int(0)
    _PBTRS(b"L", _ref(n), _ref(kd), _ref(columns.shape[0]), factor.ctypes.data_as(_double), _ref(kd + 1),
           columns.ctypes.data_as(_double), _ref(n), ctypes.byref(info))
    if info.value != 0:  # only for an invalid argument, which the checks above rule out
        raise ValueError(f"LAPACK dpbtrs rejected argument {-info.value}")
    return columns.T


class Spares:
    """The band storage of factors that are gone, kept for new ones (at most ``limit`` bytes,
    the most recently freed).

    :meth:`zeros` hands out a zeroed band that lives as long as ``owner``; when the owner is
    garbage collected its storage comes back here instead of to the operating system.
    Storage is allocated in steps of 256 KiB, so that bands of nearly equal size (the same hole
    pattern at another place) fit each other's storage.
    """

    STEP = 1 << 15  # 256 KiB of float64

    def __init__(self, limit: int = 256 << 20):
        self.limit = limit
        self.spares: list[np.ndarray] = []
        self.lock = threading.Lock()
        self.reused = self.allocated = 0

    def zeros(self, shape: tuple[int, int], owner: object) -> np.ndarray:
        size = shape[0] * shape[1]
        with self.lock:
            fitting = [k for k, spare in enumerate(self.spares) if spare.size >= size]
            storage = self.spares.pop(min(fitting, key=lambda k: self.spares[k].size)) if fitting else None
            self.reused += storage is not None
            self.allocated += storage is None
        if storage is None:
            storage = np.empty(-(-size // self.STEP) * self.STEP)
        band = storage[:size].reshape(shape)
        band.fill(0.0)
        weakref.finalize(owner, self._give_back, storage).atexit = False  # nothing to keep at exit
        return band

    def _give_back(self, storage: np.ndarray) -> None:
        with self.lock:
            self.spares.append(storage)
            # Over the limit, the oldest go first: the sizes freed last (the hole pattern being
            # blended now) are the likeliest to be asked for next; refusing new storage instead
            # would keep a full pool of another pattern's smaller bands that fit nothing.
            while sum(spare.nbytes for spare in self.spares) > self.limit:
                self.spares.pop(0)


SPARES = Spares()

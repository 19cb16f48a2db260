"""The GIL-free banded Cholesky behind blending, and the recycling of band storage."""
from __future__ import annotations

import ctypes
import gc

import numpy as np
import pytest
import scipy.linalg

from inpaintkit import _banded


def spd_band(n: int, kd: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A random symmetric positive definite band matrix: LAPACK lower band storage and dense."""
    rng = np.random.default_rng(seed)
    band = rng.uniform(-1, 1, (n, kd + 1))
    band[:, 0] = 2 * (kd + 1)  # diagonally dominant
    for offset in range(1, kd + 1):
        band[n - offset:, offset] = 0  # entries that would lie outside the matrix
    dense = np.diag(band[:, 0])
    for offset in range(1, kd + 1):
        dense += np.diag(band[:n - offset, offset], -offset) + np.diag(band[:n - offset, offset], offset)
    return band, dense


@pytest.mark.parametrize("lapack_table", [True, False])
def test_factor_and_solve_match_a_dense_solve(lapack_table, monkeypatch):
    monkeypatch.setattr(_banded, "RELEASES_GIL", lapack_table and _banded.RELEASES_GIL)
    band, dense = spd_band(300, 17, seed=1)
    rhs = np.random.default_rng(2).normal(size=(300, 5))
    factor = _banded.cholesky_banded(band.copy())
    lower = np.linalg.cholesky(dense)
    for offset in range(18):
        np.testing.assert_allclose(factor[:300 - offset, offset], np.diag(lower, -offset), atol=1e-12)
    np.testing.assert_allclose(_banded.solve_banded(factor, rhs), np.linalg.solve(dense, rhs), atol=1e-12)
    assert np.allclose(_banded.solve_banded(factor, rhs), scipy.linalg.solveh_banded(band.T, rhs, lower=True))


def test_the_pinned_scipy_gives_routines_that_release_the_gil():
    """If this fails, blending still works but factorises one mask at a time.

    ctypes releases the GIL around every foreign call except those flagged as Python API calls.
    """
    assert _banded.RELEASES_GIL
    for routine in (_banded._PBTRF, _banded._PBTRS):
        assert isinstance(routine, ctypes._CFuncPtr)
        assert not routine._flags_ & ctypes._FUNCFLAG_PYTHONAPI


def test_not_positive_definite_is_named():
    band, _ = spd_band(50, 3, seed=4)
    band[10, 0] = -1.0
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        _banded.cholesky_banded(band)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="C-contiguous float64"):
        _banded.cholesky_banded(np.ones((10, 3), dtype=np.float32))
    band, _ = spd_band(20, 2, seed=5)
    with pytest.raises(ValueError, match="rhs has 19 rows for a factor of order 20"):
        _banded.solve_banded(_banded.cholesky_banded(band), np.ones((19, 1)))


class Owner:
    pass


def test_band_storage_comes_back_when_its_owner_is_gone():
    spares = _banded.Spares(limit=64 << 20)
    owner = Owner()
    band = spares.zeros((1000, 60), owner)
    assert band.shape == (1000, 60) and not band.any()
    band[:] = 7.0
    storage = band.base
    del owner, band
    gc.collect()
    assert [s is storage for s in spares.spares] == [True]
    again = spares.zeros((990, 61), Owner())  # nearly the same size fits the same storage
    assert again.base is storage and not again.any()
    assert (spares.allocated, spares.reused) == (1, 1)


def test_spares_keep_at_most_their_limit():
    spares = _banded.Spares(limit=_banded.Spares.STEP * 8 * 2)  # room for two smallest storages
    owners = [Owner() for _ in range(3)]
    for owner in owners:
        spares.zeros((100, 10), owner)
    del owners
    gc.collect()
    assert len(spares.spares) == 2


def test_a_full_pool_makes_room_for_the_storage_freed_last():
    """Bands of another pattern that fit nothing must not keep the current pattern's out."""
    step = _banded.Spares.STEP
    spares = _banded.Spares(limit=step * 8 * 3)  # three smallest storages' worth
    small = [Owner() for _ in range(3)]
    for owner in small:
        spares.zeros((100, 10), owner)
    del small
    gc.collect()
    large = Owner()
    spares.zeros((step, 2), large)  # two steps of storage
    del large
    gc.collect()
    assert sorted(spare.size for spare in spares.spares) == [step, 2 * step]
    assert spares.zeros((step, 2), Owner()).base.size == 2 * step  # reused, not allocated
    assert spares.allocated == 4


def test_a_routine_with_another_signature_is_not_called(monkeypatch):
    """A scipy whose table declared other argument types (say 64-bit integers) falls back to f2py."""
    wrong = (ctypes.c_char_p, ctypes.POINTER(ctypes.c_long)) + _banded._SIGNATURES["dpbtrf"][2:]
    monkeypatch.setitem(_banded._C_TYPES, ctypes.POINTER(ctypes.c_long), "long *")
    monkeypatch.setitem(_banded._SIGNATURES, "dpbtrf", wrong)
    assert _banded._from_cython_table("dpbtrf") is None
    assert _banded._from_cython_table("no_such_routine") is None

"""Graded exercises of the notebooks: the learner writes a function, a check calls it on fresh
inputs and compares it with the kit's own implementation of the same equation.

Every exercise of every notebook has two cells. In the first the learner completes a function
(the instructor version holds a reference solution between nbgrader's ``### BEGIN SOLUTION`` and
``### END SOLUTION`` markers; the student version, ``make student``, holds
``raise NotImplementedError("not done yet")`` there). The second cell calls::

    exercises.check("02.content_weights", content_weights)

``check`` answers ✓, ✗ with what is wrong, or "not done yet" (the function still raises
``NotImplementedError``); it never raises itself, so a notebook runs from top to bottom whatever
the learner has written. Hints come only on request: ``exercises.hint("02.content_weights")`` or
``check(..., hint=True)``.

How a check judges (the auto-graded course assignments' way):

- A function is called on FRESH random inputs each time (a new draw per call unless ``seed`` is
  given) and its result compared with the kit's function, as a relative error: accepted up to
  1e-4. A number (given as a function of no arguments, or as the number itself) is accepted to
  3 significant figures (relative error 5e-3); "close" up to 5 %.
- The kit's own function is not an answer: passing it (or anything from the ``inpaintkit``
  package) is refused, and so is a function that calls into the package while the check runs
  (a profiler watches the call).
- Wrong answers are diagnosed where people go wrong: a weighted mask inside out, the sign of the
  perceptual term, a sum where a mean belongs (or a mean where a sum belongs), z not clipped, an
  unstable log of a sigmoid (stable-loss checks include logits of ±50 and ±1000), and more.
- Every success text is computed from the kit's result, never typed.

The reference solutions live in the instructor notebooks only, not in this package; the
references the checks compare with are the kit's own implementations (``losses``, ``dcgan``,
``inpainting``, ``blending``, ``refinement``, ``metrics``, ``reports``, ``shortcomings``,
``faces``, ``masks``). ``grade(key, answer)`` raises ``AssertionError`` unless the answer passes:
the notebooks' hidden tests (nbgrader's autograder) call it.
"""
from __future__ import annotations

import math
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
from scipy.ndimage import binary_dilation, gaussian_filter

from . import blending, dcgan, faces, inpainting, losses, masks, metrics, refinement, reports, shortcomings
from ._tf import tf

__all__ = ["CLOSE", "EXERCISES", "FUNCTION_RTOL", "NUMBER_RTOL", "Exercise", "Feedback", "check", "grade", "hint",
           "keys", "task"]

NUMBER_RTOL = 5e-3     # numbers given by hand: 3 significant figures
CLOSE = 5e-2           # "close: give 3 significant figures"
FUNCTION_RTOL = 1e-4   # functions against the kit, on fresh inputs
_PACKAGE = Path(__file__).resolve().parent


# ----------------------------------------------------------------------------- what a check returns
@dataclass(frozen=True)
class Feedback:
    """The answer of one check: ``passed`` is True (✓), False (✗) or None (not done yet).
    ``error`` is the relative error against the kit where one was measured."""

    key: str
    passed: bool | None
    message: str
    error: float | None = None

    def __bool__(self) -> bool:
        return self.passed is True

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Exercise:
    key: str                      # "NN.name": the notebook it belongs to, and a name
    name: str                     # the function the learner writes
    task: str                     # one line: what to write
    hint: str                     # given only on request
    judge: Callable[[Any, np.random.Generator], tuple[str, float | None]]  # → (success text, error) or raises
    kit: tuple = ()               # the kit's functions that compute the same thing (refused as answers)


class _NotDone(Exception):
    """The learner's function still raises NotImplementedError."""


class _Wrong(Exception):
    """A wrong answer: the message says what is wrong."""

    def __init__(self, message: str, error: float | None = None):
        super().__init__(message)
        self.error = error


# ----------------------------------------------------------------------------- calling the learner
def _kit_name(obj) -> str | None:
    """'inpaintkit.losses.content_weights' when ``obj`` belongs to the kit, else None."""
    target = getattr(obj, "func", obj)  # functools.partial
    target = getattr(target, "__func__", target)  # bound methods
    module = getattr(target, "__module__", None) or ""
    if module == "inpaintkit" or module.startswith("inpaintkit."):
        return f"{module}.{getattr(target, '__qualname__', getattr(target, '__name__', type(target).__name__))}"
    return None


def _module_of(filename: str) -> str | None:
    path = Path(filename).resolve()
    if _PACKAGE not in path.parents:
        return None
    return "inpaintkit." + ".".join(path.relative_to(_PACKAGE).with_suffix("").parts)


def _call(function, *args):
    """Call the learner's function with a profiler that notes any call into the kit; a
    NotImplementedError means "not done yet"; any other exception is a wrong answer."""
    calls: list[str] = []

    def watch(frame, event, arg):
        if event == "call" and not calls:
            module = _module_of(frame.f_code.co_filename)
            if module is not None and not (module == "inpaintkit.__init__" and frame.f_code.co_name == "__getattr__"):
                calls.append(f"{module.removesuffix('.__init__')}.{frame.f_code.co_name}")

    previous = sys.getprofile()
    sys.setprofile(watch)
    try:
        result = function(*args)
    except NotImplementedError:
        raise _NotDone() from None
    except Exception as error:  # the learner's code: report it, never crash the notebook
        shapes = ", ".join(str(np.shape(a)) if hasattr(a, "shape") else type(a).__name__ for a in args)
        raise _Wrong(f"it raised {type(error).__name__}: {error}" + (f" (inputs: {shapes})" if args else "")) from None
    finally:
        sys.setprofile(previous)
    if calls:
        raise _Wrong(f"it calls the kit's own {calls[0]}: the task is to write it with NumPy (or SciPy, "
                     "TensorFlow) yourself; the check compares your function with the kit's")
    return result


def _as_array(value, name: str, shape: tuple | None = None) -> np.ndarray:
    if value is None:
        raise _Wrong(f"{name} returned None: did you forget `return`?")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Wrong(f"{name} should return numbers, got {type(value).__name__}") from None
    if shape is not None and array.shape != shape:
        squeezed = np.squeeze(array)
        if squeezed.shape != shape:
            raise _Wrong(f"{name} should return shape {shape or 'a single number'}, got {array.shape}")
        array = squeezed
    return array


def _relative(got, expected) -> float:
    """‖got − expected‖ / ‖expected‖ (absolute when expected is 0)."""
    got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    if not np.all(np.isfinite(got)):
        return math.inf
    scale = float(np.linalg.norm(expected))
    gap = float(np.linalg.norm(got - expected))
    return gap / scale if scale > 1e-12 else gap


def _first_match(got, variants, rtol: float) -> str | None:
    """The message of the first wrong variant (a dict or (message, value) pairs) the answer reproduces."""
    for message, wrong in (variants.items() if isinstance(variants, dict) else variants):
        if wrong is not None and _relative(got, wrong) <= rtol:
            return message
    return None


# ----------------------------------------------------------------------------- judges
def _number(reference: Callable[[], float], explain: Callable[[float], str],
            mistakes: Callable[[float], dict[str, float]] = lambda ref: {}):
    """A number given by hand (or a function of no arguments that returns it), to 3 significant figures."""
    def judge(answer, rng):
        value = _call(answer) if callable(answer) else answer
        if isinstance(value, (bool, np.bool_)) or isinstance(value, str) or np.ndim(value) != 0:
            raise _Wrong(f"the answer should be one number, got {type(value).__name__}")
        value = float(_as_array(value, "your function"))
        if not math.isfinite(value):
            raise _Wrong(f"the answer should be a finite number, got {value}")
        ref = float(reference())
        error = _relative(value, ref)
        if error <= NUMBER_RTOL:
            return explain(ref), error
        found = _first_match(value, mistakes(ref), NUMBER_RTOL)
        if found:
            raise _Wrong(f"{value:.4g} is not it: {found}", error)
        if error <= CLOSE:
            raise _Wrong(f"close ({value:.4g}): give 3 significant figures", error)
        raise _Wrong(f"{value:.4g} is not it", error)
    return judge


@dataclass(frozen=True)
class _Case:
    args: tuple
    label: str = ""     # what is special about these inputs ("logits of ±50 and ±1000")


def _function(name: str, cases: Callable[[np.random.Generator], list[_Case]], reference: Callable,
              explain: Callable[[float, list], str], *, diagnose: Callable | None = None,
              mistakes: Callable[..., dict[str, Any]] | None = None, shape: Callable | None = None,
              rtol: float = FUNCTION_RTOL):
    """A function of the learner against the kit's on fresh inputs.

    ``diagnose(case, got, expected)`` names a structural mistake (or None); ``mistakes(*args)``
    gives {message: what that mistake returns} for the same inputs; ``shape(expected)`` the shape
    the answer must have (default: the reference's).
    """
    def judge(answer, rng):
        if not callable(answer):
            raise _Wrong(f"the answer should be your function {name}, got {type(answer).__name__}")
        worst, results = 0.0, []
        drawn = cases(rng)
        for case in drawn:
            expected = np.asarray(reference(*case.args), np.float64)
            got = _as_array(_call(answer, *case.args), name, expected.shape if shape is None else shape(expected))
            error = _relative(got, expected)
            if error > rtol:
                found = diagnose(case, got, expected) if diagnose else None
                found = found or (mistakes and _first_match(got, mistakes(*case.args), max(rtol, 1e-6)))
                where = f" for {case.label}" if case.label else ""
                if not np.all(np.isfinite(got)):
                    raise _Wrong(found or f"it returns NaN or inf{where}", error)
                raise _Wrong(found or f"on fresh inputs{where} it is off by a relative error of {error:.2g} "
                                      f"(accepted: {rtol:g})", error)
            worst = max(worst, error)
            results.append((case, expected))
        return explain(worst, results), worst
    return judge


# ----------------------------------------------------------------------------- random inputs
def _rectangle_mask(rng, count: int = 1, size: int = 64, low: int = 6, high: int = 40) -> np.ndarray:
    """A known mask with ``count`` random rectangular holes (some touch the border)."""
    known = np.ones((size, size), bool)
    for _ in range(count):
        h, w = rng.integers(low, high + 1, size=2)
        top, left = rng.integers(0, size - h + 1), rng.integers(0, size - w + 1)
        known[top:top + h, left:left + w] = False
    return known


def _scattered_mask(rng, missing: float | None = None, size: int = 64) -> np.ndarray:
    share = rng.uniform(0.3, 0.8) if missing is None else missing
    return rng.random((size, size)) >= share


def _smooth(rng, shape, scale: float = 0.6, sigma: float = 3.0) -> np.ndarray:
    """A smooth random image (blurred noise) in about ±scale."""
    field = gaussian_filter(rng.normal(size=shape), sigma=(sigma, sigma) + (0,) * (len(shape) - 2))
    return (scale * field / (np.abs(field).max() + 1e-12)).astype(np.float32)


def _stroke_points(rng) -> list[tuple[float, float]]:
    count = int(rng.integers(2, 6))
    return [(float(x), float(y)) for x, y in rng.uniform(4, 60, (count, 2))]


# ----------------------------------------------------------------------------- the kit's references
def _kit_d_loss(real, fake) -> float:
    return float(dcgan.discriminator_loss(tf.constant(real, tf.float32), tf.constant(fake, tf.float32)))


def _kit_g_loss(fake) -> float:
    return float(dcgan.generator_loss(tf.constant(fake, tf.float32)))


def _kit_weights(known, n=losses.WINDOW, variant="paper") -> np.ndarray:
    return losses.content_weights(np.asarray(known, bool), n=n, variant=variant)[0]


def _kit_eq9(x, x_b, known, mu, logit, lam) -> float:
    return float(refinement.refinement_loss(tf.constant(np.asarray(x, np.float32)[None]),
                                            tf.constant(np.asarray(x_b, np.float32)[None]),
                                            np.asarray(known, bool)[None], tf.constant([mu], tf.float32),
                                            tf.constant([[logit]], tf.float32), lam)[0])


def _kit_blend_channel(y, known, guide, kind) -> np.ndarray:
    three = lambda image: np.repeat(np.asarray(image, np.float64)[None, ..., None], 3, axis=-1)  # noqa: E731
    return blending.poisson_blend(three(y), known, three(guide), kind=kind, clip=False)[0, ..., 0]


def _identity_generator(z, training=False):
    """A stand-in G for the Adam checks: the image's first 100 values are z itself."""
    return tf.reshape(tf.pad(z, [[0, 0], [0, 64 * 64 * 3 - z.shape[-1]]]), (-1, 64, 64, 3))


def _zero_discriminator(x, training=False):
    return tf.zeros((tf.shape(x)[0], 1))


def _quadratic(x, logits, a, c):
    """½·Σ a·(z − c)² per code, with z read back from :func:`_identity_generator`: its gradient is a·(z − c)."""
    z = tf.reshape(x, (tf.shape(x)[0], -1))[:, :100]
    return tf.reduce_sum(0.5 * a * (z - c) ** 2, axis=1)


def _kit_adam_path(z0, a, c, steps: int, learning_rate: float) -> dict[int, np.ndarray]:
    """z after each step of the kit's own optimiser (:func:`inpaintkit.inpainting.optimize_latent`)."""
    result = inpainting.optimize_latent(_identity_generator, _zero_discriminator, _quadratic, len(z0), steps=steps,
                                        z0=z0, learning_rate=learning_rate, keep_z_at=range(1, steps + 1),
                                        loss_args=(a, c), progress=False)
    return result.z_at


# ----------------------------------------------------------------------------- 00 · data and masks
def _stripe_share() -> float:
    return masks.missing_fraction(masks.make_mask(3, seed=0, stripe_width=12))


def _ring(window: int) -> int:
    return int(losses.near_hole_set(masks.make_mask(5), window=window).sum())


def _psnr_cases(rng):
    return [_Case((rng.uniform(1, 3000, int(rng.integers(3, 9))),)), _Case((np.array([rng.uniform(20, 900)]),))]


def _psnr_mistakes(mse):
    right = metrics.psnr_from_mse(mse)
    peak = float(metrics.psnr_from_mse(1.0))  # 10·log10(255²)
    return {"20·log10 is for amplitudes; PSNR is 10·log10 of a ratio of squares (peak² / MSE)": 2 * right,
            "the peak is 255 on the 0–255 scale (you used 1)": right - peak,
            "a natural log: PSNR uses log10": right * math.log(10),
            "the peak must be squared: 10·log10(255² / MSE)": right - peak / 2}


# ----------------------------------------------------------------------------- 01 · DCGAN
def _logit_cases(rng, pairs: bool):
    """Moderate logits of random batches, then a batch with logits of ±50 and ±1000 (a sure D)."""
    cases = []
    for _ in range(2):
        n = int(rng.integers(5, 65))
        real, fake = rng.normal(1.0, 3.0, (n, 1)), rng.normal(-1.0, 3.0, (n, 1))
        cases.append(_Case((real.astype(np.float32), fake.astype(np.float32)) if pairs else (fake.astype(np.float32),)))
    extreme = np.array([50.0, -50.0, 1000.0, -1000.0, 3.0, -2.0, 0.5, 20.0], np.float32)[:, None]
    real, fake = rng.permutation(extreme), rng.permutation(extreme)
    cases.append(_Case((real, fake) if pairs else (fake,), "logits of ±50 and ±1000 (a D that is sure of itself)"))
    return cases


_UNSTABLE = ("an unstable log of a sigmoid: for logits of ±50 or ±1000, σ(ℓ) rounds to 0 or 1 and its log to "
             "−∞ (or a clipped log gives a wrong value). Compute from the logit: −log σ(ℓ) = log(1 + e^(−ℓ)) = "
             "np.logaddexp(0, −ℓ) and −log(1 − σ(ℓ)) = np.logaddexp(0, ℓ)")


def _unstable(case, got, expected):
    return _UNSTABLE if case.label.startswith("logits") else None


def _d_mistakes(real, fake):
    n = len(real)
    return {"the fakes are scored as real: D's second term is −log(1 − D(G(z))), not −log D(G(z))": _kit_d_loss(real, -fake),
            "real and fake logits swapped": _kit_d_loss(fake, real),
            "a sum where a mean belongs: Eq. 1's expectations are means over the batch": n * _kit_d_loss(real, fake),
            "the sign: as a loss to minimise, D's side of Eq. 1 is −log D(x) − log(1 − D(G(z))), never negative":
                -_kit_d_loss(real, fake)}


def _g_mistakes(fake):
    n = len(fake)
    return {"that is the saturating form log(1 − D(G(z))), whose gradient vanishes while D rejects G's faces; "
            "the non-saturating loss is −log D(G(z))": -_kit_g_loss(-fake),
            "a sum where a mean belongs: the loss is a mean over the batch": n * _kit_g_loss(fake),
            "the sign: −log D(G(z)) is never negative": -_kit_g_loss(fake)}


def _equilibrium() -> float:
    zero = np.zeros((1, 1), np.float32)
    return _kit_d_loss(zero, zero)


def _adam_bound() -> float:
    alpha, b1, b2 = inpainting.LEARNING_RATE, inpainting.BETA_1, inpainting.BETA_2
    return alpha * (1 - b1) / math.sqrt(1 - b2) if (1 - b1) > math.sqrt(1 - b2) else alpha


# ----------------------------------------------------------------------------- 02 · semantic inpainting
def _weights_cases(rng):
    half = np.ones((64, 64), bool)
    half[:, : int(rng.integers(20, 44))] = False  # a hole along the border, like pattern (4)
    return [_Case((_rectangle_mask(rng), losses.WINDOW)), _Case((_rectangle_mask(rng, 2), int(rng.choice([3, 5, 9])))),
            _Case((_scattered_mask(rng), 5), "scattered holes"), _Case((half, losses.WINDOW), "a hole along the border")]


def _weights_diagnose(case, got, expected):
    known, n = case.args
    if np.any(got[~known] != 0):
        if np.allclose(got[known], 0):
            return ("the weighted mask inside out: your weights sit on the missing pixels. S holds the KNOWN pixels "
                    "with a hole in their window (the paper's 'S ⊂ M' swaps its own set names)")
        return "missing pixels must have weight 0: S holds only known pixels"
    inner = np.zeros_like(known)
    r = (n - 1) // 2
    inner[r:64 - r, r:64 - r] = True
    if _relative(got[inner], expected[inner]) <= FUNCTION_RTOL:
        return ("right inside the image, wrong at its border: a window that sticks out of the image counts only "
                "the pixels inside it (no padding)")
    s = expected > 0
    inverted = np.where(s, 1.0 / np.where(s, expected, 1.0), 0.0)
    variants = {"that is Yeh et al.'s variant |Hᵢ| / n²: Eq. 4 divides by the known pixels of the window, |Hᵢᶜ|":
                _kit_weights(known, n, "yeh"),
                "the ratio upside down: wᵢ = |Hᵢ| / |Hᵢᶜ|, missing over known": inverted,
                f"a window of {n - 2} × {n - 2}: the window is n × n = {n} × {n}, reaching (n − 1)/2 pixels each way":
                _kit_weights(known, n - 2) if n > 3 else None,
                f"a window of {n + 2} × {n + 2}: the window is n × n = {n} × {n}, reaching (n − 1)/2 pixels each way":
                _kit_weights(known, n + 2)}
    return _first_match(got, variants, FUNCTION_RTOL)


def _weights_explain(worst, results):
    (case, w), *_ = results
    known = case.args[0]
    return (f"on {len(results)} fresh masks your weights equal the kit's losses.content_weights (largest relative "
            f"error {worst:.1e}). In the first, {int((w > 0).sum())} of {int(known.sum())} known pixels carry weight "
            f"({(w > 0).sum() / known.sum():.0%}), the largest {w.max():.3g}.")


def _adam_judge(answer, rng):
    if not callable(answer):
        raise _Wrong(f"the answer should be your function adam_step, got {type(answer).__name__}")
    worst = 0.0
    for learning_rate in (0.1, 0.01):
        count, steps = 6, 12
        z0 = rng.uniform(-1, 1, (count, 100)).astype(np.float32)
        a = rng.uniform(0.2, 3.0, (count, 100)).astype(np.float32)
        c = rng.uniform(-1.6, 1.6, (count, 100)).astype(np.float32)  # some optima lie outside [−1, 1]: clipping bites
        kit = _kit_adam_path(z0, a, c, steps, learning_rate)
        z, m, v = z0.astype(np.float64), np.zeros_like(z0, np.float64), np.zeros_like(z0, np.float64)
        for t in range(1, steps + 1):
            g = a * (z - c)
            out = _call(answer, z.copy(), g, m.copy(), v.copy(), t, learning_rate)
            if not isinstance(out, (tuple, list)) or len(out) != 3:
                raise _Wrong("adam_step should return the tuple (z, m, v)")
            previous = z
            z, m, v = (_as_array(x, "adam_step", z0.shape) for x in out)
            if not np.all(np.isfinite(z)):
                raise _Wrong(f"z holds NaN or inf after step {t}: a division by zero? The bias correction divides by "
                             "1 − βᵗ, with t counting steps from 1")
            error = _relative(z, kit[t])
            if error > FUNCTION_RTOL:
                raise _Wrong(_adam_diagnosis(t, previous, z, g, kit[t], learning_rate) or
                             f"after step {t} (step size {learning_rate:g}) your z is off the kit's by a relative "
                             f"error of {error:.2g}", error)
            worst = max(worst, error)
    return (f"12 steps of your adam_step, at step sizes 0.1 and 0.01 on 6 codes each, follow the kit's compiled "
            f"optimiser (inpainting.optimize_latent) to a relative error of {worst:.1e}, clipping included."), worst


def _adam_diagnosis(t, previous, z, g, expected, learning_rate) -> str | None:
    if np.abs(z).max() > 1 + 1e-6:
        return "z not clipped: after every step z goes back into [−1, 1] (np.clip), as the paper's optimiser does"
    inside = (np.abs(expected) < 0.999) & (np.abs(previous) < 0.999) & (np.abs(z) < 0.999) & (np.abs(g) > 1e-3)
    if not inside.any():
        return None
    step = (z - previous)[inside]
    if np.mean(np.sign(step) == np.sign(g[inside])) > 0.9:
        return "z moved uphill: Adam subtracts its step, z ← z − α·m̂ / (√v̂ + ε)"
    if _relative(step, -learning_rate * g[inside]) < 1e-3:
        return "that is a plain gradient step: Adam scales it by the moving averages, α·m̂ / (√v̂ + ε)"
    if t == 1:
        ratio = float(np.median(np.abs(step))) / learning_rate
        b1, b2 = inpainting.BETA_1, inpainting.BETA_2
        named = {(1 - b1) / math.sqrt(1 - b2): "no bias correction: divide m by 1 − β₁ᵗ and v by 1 − β₂ᵗ (on the "
                                                 "first step m̂ = g and v̂ = g², so every coordinate moves by α)",
                 1 - b1: "m without bias correction (m̂ = m / (1 − β₁ᵗ))",
                 1 / math.sqrt(1 - b2): "v without bias correction (v̂ = v / (1 − β₂ᵗ))"}
        for value, message in named.items():
            if abs(ratio - value) < 0.02 * value:
                return message
        return None
    return (f"your first steps agree, step {t} does not: check the moving averages m ← β₁·m + (1 − β₁)·g and "
            "v ← β₂·v + (1 − β₂)·g², with β₁ = 0.5 and β₂ = 0.9, and that adam_step returns the new m and v")


def _first_step() -> float:
    rate = 0.01
    z0 = np.zeros((1, 100), np.float32)
    ones = np.ones((1, 100), np.float32)
    path = _kit_adam_path(z0, ones, ones * 0.5, 1, rate)  # any gradient: here −0.5 on every coordinate
    return float(np.abs(path[1] - z0).mean())


# ----------------------------------------------------------------------------- 03 · Poisson blending
def _blend_cases(rng):
    cases = []
    for kind, holes in (("paper", 1), ("paper", 2), ("laplacian", 1)):
        known = _rectangle_mask(rng, holes, low=8, high=28)
        y = _smooth(rng, (64, 64)).astype(np.float64)
        y[~known] = rng.uniform(-1, 1, int((~known).sum()))  # what lies in the hole must not matter
        guide = _smooth(rng, (64, 64)).astype(np.float64)
        cases.append(_Case((y, known, guide, blending.poisson_operator(kind)), f"the {kind} operator"))
    return cases


def _blend_reference(y, known, guide, L):
    kind = "paper" if np.isclose(L.diagonal()[64 * 32 + 32], blending.KINDS["paper"]) else "laplacian"
    return _kit_blend_channel(y, known, guide, kind)


def _blend_diagnose(case, got, expected):
    y, known, guide, L = case.args
    if np.abs(got[known] - y[known]).max() > 1e-6:
        if np.abs(got[~known] - y[~known]).max() < 1e-9:
            return ("the mask inside out: `known` is True on the clean pixels; Eq. 6 keeps those and solves for "
                    "the others")
        return "Eq. 6 keeps every known pixel: x must equal y wherever known is True"
    if _relative(got, np.where(known, y, guide)) < 1e-6:
        return ("that pastes x_g's hole into y: Eq. 6 solves for the hole's pixels so that L·x matches L·x_g in "
                "least squares")
    residual = (L @ got.ravel() - L @ guide.ravel()).reshape(64, 64)
    if np.abs(residual[~known]).max() < 1e-6 * max(1.0, np.abs(L @ guide.ravel()).max()):
        return ("you solved (L·x)ᵢ = (L·x_g)ᵢ at the hole's pixels only (Pérez et al.'s Poisson equation): Eq. 6 "
                "is a least-squares fit over every row of L that reads a missing pixel")
    return None


def _blend_explain(worst, results):
    case, _ = results[0]
    y, known, guide, L = case.args
    missing = ~known.ravel()
    rows = int((abs(L[:, missing]).sum(axis=1) > 0).sum())
    return (f"on {len(results)} fresh images and holes, with both operators, your blend_channel matches the kit's "
            f"blending.poisson_blend (relative error {worst:.1e}). In the first: {int(missing.sum())} unknowns, "
            f"{rows} rows of L that read them.")


def _constant_image(value: float = 0.5, kind: str = "paper") -> float:
    image = np.full(64 * 64, value)
    return float((blending.poisson_operator(kind) @ image)[32 * 64 + 32])


def _rows_reading_hole(dilate: int = 0) -> int:
    known = masks.make_mask(5)
    if dilate:
        return int(binary_dilation(~known, structure=np.ones((3, 3), bool), iterations=dilate).sum())
    operator = blending.poisson_operator("paper")
    return int((abs(operator[:, ~known.ravel()]).sum(axis=1) > 0).sum())


# ----------------------------------------------------------------------------- 04 · shortcomings
def _band_share(pattern: int, n: int = losses.WINDOW, of_all: bool = False) -> float:
    known = masks.make_mask(pattern)
    band = int((losses.content_weights(known, n=n) > 0).sum())
    return band / (known.size if of_all else known.sum())


def _asymmetry_reference(face) -> float:
    return float(shortcomings.mirror_color_gap(np.asarray(face)[None], masks.make_mask(4))[0])


def _asymmetry_cases(rng):
    return [_Case((rng.uniform(-1, 1, (64, 64, 3)).astype(np.float32),)),
            _Case((np.clip(_smooth(rng, (64, 64, 3), 0.9), -1, 1),), "a smooth face-like image")]


# ----------------------------------------------------------------------------- 05 · refinement
def _eq9_cases(rng):
    cases = []
    for holes, mu, lam in ((1, 0.66, losses.LAMBDA), (2, float(rng.uniform(0.1, 1.0)), float(rng.uniform(0.001, 0.1)))):
        x, x_b = (rng.uniform(-1, 1, (64, 64, 3)).astype(np.float32) for _ in range(2))
        cases.append(_Case((x, x_b, _rectangle_mask(rng, holes), mu, float(rng.normal(0, 3)), lam)))
    x = rng.uniform(-1, 1, (64, 64, 3)).astype(np.float32)
    near = np.clip(x + rng.normal(0, 1e-4, x.shape), -1, 1).astype(np.float32)
    cases.append(_Case((x, near, _scattered_mask(rng), 0.33, float(rng.normal(0, 3)), 1.0),
                       "x ≈ x_b with λ = 1, where the perceptual term dominates"))
    for logit in (50.0, 1000.0):
        cases.append(_Case((x, near, _rectangle_mask(rng), 0.2, logit, 0.5), f"a logit of {logit:g}"))
    return cases


def _eq9_diagnose(case, got, expected):
    if case.label.startswith("a logit") and (not np.all(np.isfinite(got)) or abs(float(got) - float(expected)) > 1e-3):
        return _UNSTABLE
    return None


def _eq9_mistakes(x, x_b, known, mu, logit, lam):
    l1 = _kit_eq9(x, x_b, known, mu, logit, 0.0)
    eq7 = _kit_eq9(x, x_b, known, 0.0, logit, 0.0)
    eq8 = _kit_eq9(x, x_b, known, 1.0, logit, 0.0) - eq7
    perceptual = _kit_eq9(x, x, known, mu, logit, lam)
    n_known, n_missing = int(np.sum(known)), int(np.sum(~np.asarray(known)))
    means = "a mean where Eq. 7 and 8 sum (over pixels and colour channels)"
    return [(means, eq7 / (3 * n_known) + mu * eq8 / (3 * n_missing) + perceptual),
            (means, eq7 / n_known + mu * eq8 / n_missing + perceptual)] + list({"the weighted mask inside out: µ weighs the missing (inpainted) pixels (Eq. 8), weight 1 every known "
            "pixel (Eq. 7); the paper's printed Eq. 7 and 8 swap the two sets": _kit_eq9(x, x_b, ~known, mu, logit, lam),
            "the perceptual term's sign: λ·log(1 − D(x)) is negative (the log of a probability): −λ·softplus(ℓ)":
                _kit_eq9(x, x_b, known, mu, logit, -lam),
            "log D(x) where Eq. 5 has log(1 − D(x))": _kit_eq9(x, x_b, known, mu, -logit, lam),
            "a mean where Eq. 7 and 8 sum (over pixels and colour channels)": l1 / x.size + perceptual,
            "a mean over the pixels where Eq. 7 and 8 sum": l1 / (x.size // 3) + perceptual,
            "averaged over R, G, B: Eq. 7 and 8 sum over the colour channels too": l1 / 3 + perceptual,
            "µ is missing: the inpainted pixels count with weight µ (Eq. 8)": _kit_eq9(x, x_b, known, 1.0, logit, lam),
            "the perceptual term λ·log(1 − D(x)) is missing": l1}.items())


def _eq9_explain(worst, results):
    case, value = results[0]
    x, x_b, known, mu, logit, lam = case.args
    l1 = _kit_eq9(x, x_b, known, mu, logit, 0.0)
    return (f"your refinement_loss equals the kit's refinement.refinement_loss on {len(results)} fresh cases, "
            f"logits of 50 and 1000 included (relative error {worst:.1e}). In the first, the L1 terms give "
            f"{l1:.1f} and λ·log(1 − D) {float(value) - l1:+.4f}.")


def _known_weight_share(mu: float | None = None, swapped: bool = False) -> float:
    known = masks.make_mask(5)
    mu = refinement.paper_mu(5) if mu is None else mu
    x, x_b = np.full((64, 64, 3), 0.5, np.float32), np.full((64, 64, 3), -0.5, np.float32)  # |x − x_b| = 1
    if swapped:  # weight 1 on the missing pixels, µ on the known: the known share is the rest
        return 1.0 - _kit_eq9(x, x_b, ~known, 0.0, 0.0, 0.0) / _kit_eq9(x, x_b, ~known, mu, 0.0, 0.0)
    return _kit_eq9(x, x_b, known, 0.0, 0.0, 0.0) / _kit_eq9(x, x_b, known, mu, 0.0, 0.0)


def _lambda_size(probability: float = 0.9, lam: float = losses.LAMBDA) -> float:
    logit = math.log(probability / (1 - probability))
    return abs(lam * float(losses.perceptual_loss(tf.constant([[logit]], tf.float32))[0]))


# ----------------------------------------------------------------------------- 06 · evaluation
def _ratio_cases(rng):
    return [_Case((rng.uniform(1, 20, 5), rng.uniform(100, 900, 5), rng.uniform(0.2, 0.7, 5))),
            _Case((rng.uniform(1, 40, 3), rng.uniform(50, 2000, 3), np.full(3, 0.25)))]


def _psnr_of_mean(a: float = 100.0, b: float = 400.0) -> float:
    return float(np.mean(metrics.psnr_from_mse([a, b])) - metrics.psnr_from_mse((a + b) / 2))


# ----------------------------------------------------------------------------- 07 · your own face
def _mu_cases(rng):
    cases = []
    for missing in (int(rng.integers(40, 1400)), 1536, 1537, int(rng.integers(1700, 3500))):
        known = np.ones(64 * 64, bool)
        known[rng.choice(64 * 64, missing, replace=False)] = False
        cases.append(_Case((known.reshape(64, 64),), "exactly 3/8 missing" if missing == 1536 else ""))
    return cases


def _mu_diagnose(case, got, expected):
    (known,) = case.args
    if case.label == "exactly 3/8 missing" and np.isclose(float(got), 0.33):
        return "at exactly 3/8 missing the kit still takes 0.66: the rule is 'at most 3/8', ≤ not <"
    if np.isclose(float(got), faces.default_mu(~known)):
        return "you measured the known share: the rule looks at the share of MISSING pixels (False in `known`)"
    return None


def _crop_cases(rng):
    scales = rng.uniform(0.4, 3.0, 2)
    return [_Case((178 * s, 218 * s), "a scaled CelebA crop") for s in scales] + \
        [_Case((float(rng.integers(120, 700)), float(rng.integers(120, 700))))]


def _crop_reference(width, height):
    box = faces.celeba_crop_box(width, height)
    return (box.left, box.top, box.side)


def _crop_mistakes(width, height):
    fixed = 108.0
    by_width, by_height = fixed * width / 178, fixed * height / 218
    centred = lambda side: ((width - side) / 2, (height - side) / 2, side)  # noqa: E731
    return {"the box must scale with the image: 108 px is its side in a 178 × 218 crop": centred(fixed),
            "scale by the smaller ratio, min(width / 178, height / 218), so the box fits": centred(max(by_width, by_height)),
            "the box is centred: left = (width − side) / 2, top = (height − side) / 2": (0.0, 0.0, _crop_reference(width, height)[2])}


def _stroke_cases(rng):
    return [_Case((_stroke_points(rng), float(rng.uniform(1.0, 6.0)))) for _ in range(3)]


def _stroke_reference(points, radius):
    return masks.mask_from_strokes([(points, radius, False)]).astype(np.float64)


def _stroke_diagnose(case, got, expected):
    found = _first_match(got, _stroke_mistakes(*case.args), 1e-6)
    return found or f"{int((got != expected).sum())} of {got.size} pixels differ from the kit's mask"


def _stroke_mistakes(points, radius):
    p = np.asarray(points, np.float64)
    dots = np.ones((64, 64), bool)
    for point in p:
        dots &= masks.mask_from_strokes([([tuple(point)], radius, False)])
    return {"the mask inside out: `known` is True on the clean pixels, False where the brush painted the hole":
                1.0 - _stroke_reference(points, radius),
            "pixel centres sit at i + ½ (pixel i covers [i, i + 1)), not at i": _stroke_reference(p + 0.5, radius),
            "x is the column and y the row: known[y, x]": _stroke_reference(p[:, ::-1], radius),
            "join consecutive points: a fast stroke reports points far apart, and the brush paints the segments "
            "between them": dots.astype(np.float64)}


# ----------------------------------------------------------------------------- the exercises
_EXERCISES = [
    # 00 · faces, holes, scores
    Exercise("00.stripe_share", "stripe_share", "the share of missing pixels of pattern (3) with 12-pixel stripes",
             "each stripe removes 12 × 64 pixels; where the two cross, 12 × 12 pixels belong to both",
             _number(_stripe_share,
                     lambda r: f"{r:.3f}: two stripes of 12 × 64 pixels that share a 12 × 12 square. The kit's "
                               f"20-pixel stripes remove {masks.missing_fraction(masks.make_mask(3, seed=0)):.1%}.",
                     lambda r: {"you counted the square where the stripes cross twice": 2 * 12 * 64 / 64 ** 2})),
    Exercise("00.ring_size", "ring_size", "|S| for the centred 32 × 32 hole with a window of n = 5",
             "a window of n reaches (n − 1)/2 pixels each way: S is a ring that wide around the hole",
             _number(lambda: _ring(5),
                     lambda r: f"{r:.0f} pixels: a ring {(5 - 1) // 2} pixels wide instead of {(7 - 1) // 2} "
                               f"({_ring(7)} pixels for n = 7). A smaller window, a thinner band.",
                     lambda r: {"that is the ring for n = 7 (printed above)": _ring(7),
                                "the ring is (n − 1)/2 wide, not n": _ring(11)})),
    Exercise("00.psnr", "psnr", "psnr(mse): PSNR in dB from a mean squared error on the 0–255 scale",
             "PSNR = 10·log10(peak² / MSE) with peak = 255; NumPy's np.log10 works element-wise on arrays",
             _function("psnr", _psnr_cases, metrics.psnr_from_mse,
                       lambda worst, results: f"your psnr matches the kit's metrics.psnr_from_mse on fresh MSEs "
                                              f"(relative error {worst:.1e}); the paper's MSE 777.16 gives "
                                              f"{float(metrics.psnr_from_mse(777.16)):.2f} dB, as in its Table 1.",
                       mistakes=_psnr_mistakes), kit=(metrics.psnr_from_mse,)),
    # 01 · DCGAN
    Exercise("01.d_loss", "d_loss", "d_loss(real_logits, fake_logits): D's side of Eq. 1 from logits, stable",
             "−log σ(ℓ) = log(1 + e^(−ℓ)) = np.logaddexp(0, −ℓ), and −log(1 − σ(ℓ)) = np.logaddexp(0, ℓ); "
             "the expectations are means over the batch",
             _function("d_loss", lambda rng: _logit_cases(rng, True), _kit_d_loss,
                       lambda worst, results: f"your d_loss equals the kit's dcgan.discriminator_loss on fresh "
                                              f"batches, logits of ±50 and ±1000 included (relative error "
                                              f"{worst:.1e}); on the last batch it is {float(results[-1][1]):.1f}, "
                                              "finite where log(sigmoid) would give inf.",
                       diagnose=_unstable, mistakes=_d_mistakes, shape=lambda e: ()),
             kit=(dcgan.discriminator_loss,)),
    Exercise("01.g_loss", "g_loss", "g_loss(fake_logits): G's non-saturating loss −log D(G(z)), stable",
             "the same −log σ(ℓ) as for the real images in D's loss, now on the fakes: np.logaddexp(0, −ℓ)",
             _function("g_loss", lambda rng: _logit_cases(rng, False), _kit_g_loss,
                       lambda worst, results: f"your g_loss equals the kit's dcgan.generator_loss on fresh batches, "
                                              f"logits of ±50 and ±1000 included (relative error {worst:.1e}). "
                                              "Early on D rejects G's faces (ℓ ≪ 0): −log σ(ℓ) then has slope −1, "
                                              "while the saturating log(1 − σ(ℓ)) is flat.",
                       diagnose=_unstable, mistakes=_g_mistakes, shape=lambda e: ()),
             kit=(dcgan.generator_loss,)),
    Exercise("01.equilibrium", "equilibrium", "D's loss when D outputs 1/2 for every image",
             "both terms of D's loss are −log(1/2)",
             _number(_equilibrium,
                     lambda r: f"{r:.3f} = 2·ln 2: a D loss that sits near {r:.2f} means D is guessing.",
                     lambda r: {"that is one of the two terms; D's loss adds both": r / 2,
                                "a log base 10: Eq. 1's log is the natural one": r / math.log(10),
                                "the sign: a loss made of −log terms is positive": -r})),
    Exercise("01.adam_bound", "adam_bound", "Kingma and Ba's bound on one Adam step with α = 0.003, β₁ = 0.5, β₂ = 0.9",
             "(1 − β₁) = 0.5 and √(1 − β₂) = 0.316: which case of the bound applies?",
             _number(_adam_bound,
                     lambda r: f"{r:.3g} = {r / inpainting.LEARNING_RATE:.2f}·α: after a quiet stretch a sudden "
                               "gradient moves z by up to that much in one step; on a steady gradient Adam moves "
                               "about α per step.",
                     lambda r: {"that is α itself: here (1 − β₁) > √(1 − β₂), so the bound is larger":
                                inpainting.LEARNING_RATE,
                                "√(1 − β₂) belongs in the denominator":
                                inpainting.LEARNING_RATE * (1 - inpainting.BETA_1) * math.sqrt(1 - inpainting.BETA_2),
                                "(1 − β₂) needs its square root":
                                inpainting.LEARNING_RATE * (1 - inpainting.BETA_1) / (1 - inpainting.BETA_2)})),
    # 02 · semantic inpainting
    Exercise("02.content_weights", "content_weights", "content_weights(known, n): Eq. 4's weights wᵢ = |Hᵢ| / |Hᵢᶜ| on S",
             "for each known pixel count the missing pixels |Hᵢ| and the known ones |Hᵢᶜ| in its n × n window "
             "(clipped at the border); scipy.ndimage.convolve(holes, np.ones((n, n)), mode='constant') counts a "
             "window's holes in one call",
             _function("content_weights", _weights_cases, _kit_weights, _weights_explain, diagnose=_weights_diagnose),
             kit=(losses.content_weights,)),
    Exercise("02.adam_step", "adam_step", "adam_step(z, g, m, v, t, learning_rate) → (z, m, v): one Adam step on z, clipped",
             "Kingma & Ba's Algorithm 1 with β₁ = 0.5, β₂ = 0.9, ε = 1e-7: update m and v, correct them by "
             "1 − β₁ᵗ and 1 − β₂ᵗ, step, then np.clip(z, −1, 1)",
             _adam_judge),
    Exercise("02.first_step", "first_step", "how far each coordinate of z moves on Adam's first step with α = 0.01",
             "on step 1 (m and v start at 0), what are m̂ and v̂ after bias correction?",
             _number(_first_step,
                     lambda r: f"{r:.3g} = α, for every coordinate: bias correction makes m̂ = g and v̂ = g² on the "
                               "first step, so z moves by α·g/|g| whatever the size of g.",
                     lambda r: {"that is the step without bias correction":
                                r * (1 - inpainting.BETA_1) / math.sqrt(1 - inpainting.BETA_2),
                                "m without its bias correction: m̂ = m / (1 − β₁ᵗ) is g on the first step":
                                r * (1 - inpainting.BETA_1)})),
    # 03 · Poisson blending
    Exercise("03.blend_channel", "blend_channel", "blend_channel(y, known, guide, L): Eq. 6 for one colour channel",
             "split L's columns into the missing ones L_M and the known ones L_K; solve the normal equations "
             "(L_Mᵀ L_M) x_M = L_Mᵀ (L·guide − L_K y_K) with scipy.sparse.linalg.spsolve; copy y's known pixels",
             _function("blend_channel", _blend_cases, _blend_reference, _blend_explain, diagnose=_blend_diagnose),
             kit=(blending.poisson_blend, blending.blend_reference)),
    Exercise("03.constant_image", "constant_image", "the paper's kernel at an inner pixel of an image that is 0.5 everywhere",
             "eight neighbours of 0.5 each, and the centre weighted −9",
             _number(_constant_image,
                     lambda r: f"{r:g}: the −8 Laplacian gives {_constant_image(kind='laplacian'):g} on any constant "
                               "image; the −9 kernel adds −identity, so Eq. 6 with it also matches x_g's intensities, "
                               "not only their curvature.",
                     lambda r: {"that is the −8 Laplacian's answer: the paper's centre is −9": _constant_image(kind="laplacian"),
                                "the eight neighbours count too": -9 * 0.5,
                                "the sign": -r})),
    Exercise("03.rows_reading_hole", "rows_reading_hole", "how many of L's rows read a missing pixel, centred 32 × 32 hole",
             "row i of L is the 3 × 3 kernel at pixel i: which pixels have a missing pixel within one step?",
             _number(_rows_reading_hole,
                     lambda r: f"{r:.0f} equations for {int((~masks.make_mask(5)).sum())} unknowns per channel: the "
                               "hole and the ring of known pixels around it. Every other row is a constant and drops "
                               "out of the least squares.",
                     lambda r: {"that is the number of unknowns, the hole's pixels: a kernel just outside the hole "
                                "also reads a missing pixel": int((~masks.make_mask(5)).sum()),
                                "a 3 × 3 kernel reaches one pixel beyond the hole, not two": _rows_reading_hole(2)})),
    # 04 · shortcomings
    Exercise("04.band_share_left", "band_share_left", "the share of known pixels with weight in Eq. 4, left-half hole (4), n = 7",
             "the band is (n − 1)/2 columns wide next to the hole; the known half has 32 columns",
             _number(lambda: _band_share(4),
                     lambda r: f"{r:.3f}: {(losses.WINDOW - 1) // 2} columns of 32, so {1 - r:.0%} of what the face "
                               "shows is ignored by the content loss.",
                     lambda r: {"a share of all pixels: the question asks for a share of the known ones":
                                _band_share(4, of_all=True),
                                "the band is (n − 1)/2 columns wide, not n": _band_share(4, n=15)})),
    Exercise("04.band_share_n15", "band_share_n15", "the same share for the centred hole (5) with n = 15",
             "a ring (n − 1)/2 = 7 pixels wide around the 32 × 32 hole, over the 3072 known pixels",
             _number(lambda: _band_share(5, n=15),
                     lambda r: f"{r:.3f} instead of {_band_share(5):.3f} for n = 7: a bigger window widens the band, "
                               "but it stays local.",
                     lambda r: {"that is the share for n = 7 (printed above)": _band_share(5),
                                "a share of all pixels: the question asks for a share of the known ones":
                                _band_share(5, n=15, of_all=True)})),
    Exercise("04.own_asymmetry", "own_asymmetry", "own_asymmetry(face): mean |face − mirror| over the left half, 0–255",
             "mirror with face[:, ::-1]; average over R, G, B; a difference in [−1, 1] units is 127.5 grey levels",
             _function("own_asymmetry", _asymmetry_cases, _asymmetry_reference,
                       lambda worst, results: f"your own_asymmetry equals the kit's shortcomings.mirror_color_gap "
                                              f"of a face with the left half missing (relative error {worst:.1e}).",
                       mistakes=lambda face: {"a difference in [−1, 1] units is ×127.5 on the 0–255 scale, not ×255":
                                              2 * _asymmetry_reference(face),
                                              "R, G and B are averaged, not summed": 3 * _asymmetry_reference(face)},
                       shape=lambda e: ()),
             kit=(shortcomings.mirror_color_gap,)),
    # 05 · refinement
    Exercise("05.refinement_loss", "refinement_loss", "refinement_loss(x, x_b, known, mu, logit, lam): Eq. 9 for one image",
             "Σ over known pixels of |x − x_b| (all channels) + µ·the same over the missing ones + λ·log(1 − σ(ℓ)), "
             "where log(1 − σ(ℓ)) = −np.logaddexp(0, ℓ)",
             _function("refinement_loss", _eq9_cases, _kit_eq9, _eq9_explain, diagnose=_eq9_diagnose,
                       mistakes=_eq9_mistakes, shape=lambda e: ()),
             kit=(refinement.refinement_loss,)),
    Exercise("05.known_weight_share", "known_weight_share", "the share of Eq. 9's L1 weight on the known pixels, centred hole, µ = 0.66",
             "3072 known pixels with weight 1 against 1024 missing ones with weight µ",
             _number(_known_weight_share,
                     lambda r: f"{r:.3f}: the refiner mostly matches the face it can see (the global consensus); "
                               f"with the printed, swapped Eq. 7 and 8 it would be {_known_weight_share(swapped=True):.3f}.",
                     lambda r: {"that is the share of known pixels, without µ": _known_weight_share(mu=1.0),
                                "µ on the known pixels: that is the printed Eq. 7 and 8, whose sets are swapped":
                                _known_weight_share(swapped=True)})),
    Exercise("05.lambda_size", "lambda_size", "|λ·log(1 − D(x))| with λ = 0.003 when D(x) = 0.9",
             "log(1 − 0.9), times λ",
             _number(_lambda_size,
                     lambda r: f"{r:.3g}, against L1 sums over {64 * 64 * 3} values in Eq. 7 and 8: the perceptual "
                               "term barely moves z.",
                     lambda r: {"that is λ·log D(x): Eq. 5 has log(1 − D(x))": _lambda_size(0.1),
                                "a log base 10: the loss uses the natural log": r / math.log(10)})),
    # 06 · evaluation
    Exercise("06.mae_bound", "mae_bound", "the largest whole-image MAE with f = 0.25 of the pixels in the hole and MSE 400",
             "Cauchy–Schwarz over the hole's values: MAE ≤ √(f·MSE)",
             _number(lambda: 1.0 / float(reports.hole_only_ratio(1.0, 400.0, 0.25)),
                     lambda r: f"{r:g} = √(0.25 · 400). The paper's Table 1 breaks this bound on every row (the "
                               "consistency table above).",
                     lambda r: {"√MSE without f: only a quarter of the values can differ": math.sqrt(400.0),
                                "f belongs under the root": 0.25 * math.sqrt(400.0)})),
    Exercise("06.hole_only_ratio", "hole_only_ratio", "hole_only_ratio(mae, mse, f) = MAE / √(f·MSE) for NumPy arrays",
             "np.sqrt works element-wise",
             _function("hole_only_ratio", _ratio_cases, reports.hole_only_ratio,
                       lambda worst, results: f"your hole_only_ratio equals the kit's reports.hole_only_ratio "
                                              f"(relative error {worst:.1e}): at most 1 when all the error is in the hole.",
                       mistakes=lambda mae, mse, f: {"f belongs under the root": mae / (f * np.sqrt(mse)),
                                                     "f is missing": mae / np.sqrt(mse)}),
             kit=(reports.hole_only_ratio,)),
    Exercise("06.psnr_of_mean", "psnr_of_mean", "mean of two PSNRs (MSE 100 and 400) minus the PSNR of their mean MSE, in dB",
             "PSNR = 10·log10(255² / MSE); compute both ways and subtract",
             _number(_psnr_of_mean,
                     lambda r: f"{r:.3f} dB: averaging logs favours the good images; a table must say which one it "
                               "reports (the paper's PSNR follows its mean MSE: notebook 00).",
                     lambda r: {"the other way round: the mean of the PSNRs is the larger": -r})),
    # 07 · your own face
    Exercise("07.default_mu", "default_mu", "default_mu(known): the kit's µ for a drawn hole (the 3/8 rule)",
             "np.mean(~known) is the missing share; compare it with 3/8",
             _function("default_mu", _mu_cases, faces.default_mu,
                       lambda worst, results: "your default_mu follows the kit's faces.default_mu on fresh holes, "
                                              "the boundary at exactly 3/8 included.",
                       diagnose=_mu_diagnose, shape=lambda e: ()),
             kit=(faces.default_mu,)),
    Exercise("07.crop_box", "crop_box", "crop_box(width, height) → (left, top, side): CelebA's framing square",
             "side = 108 × min(width / 178, height / 218), centred",
             _function("crop_box", _crop_cases, _crop_reference,
                       lambda worst, results: f"your crop_box equals the kit's faces.celeba_crop_box on fresh sizes "
                                              f"(relative error {worst:.1e}); for a 178 × 218 crop it is "
                                              f"{tuple(round(v, 1) for v in _crop_reference(178, 218))}.",
                       mistakes=_crop_mistakes),
             kit=(faces.celeba_crop_box,)),
    Exercise("07.stroke_mask", "stroke_mask", "stroke_mask(points, radius): the known mask of one brush stroke",
             "a pixel is painted when its centre (column + ½, row + ½) lies within radius of a segment between "
             "consecutive points; project the centre on the segment and clip the projection to its ends",
             _function("stroke_mask", _stroke_cases, _stroke_reference,
                       lambda worst, results: "your stroke_mask paints exactly the pixels of the kit's "
                                              "masks.mask_from_strokes on fresh strokes.",
                       diagnose=_stroke_diagnose, rtol=0.0),
             kit=(masks.mask_from_strokes,)),
]
EXERCISES: dict[str, Exercise] = {e.key: e for e in _EXERCISES}


# ----------------------------------------------------------------------------- the calls a notebook makes
def keys(notebook: str | None = None) -> list[str]:
    """The exercise keys, all or those of one notebook ("02")."""
    return [k for k in EXERCISES if notebook is None or k.startswith(f"{notebook}.")]


def task(key: str) -> str:
    """What an exercise asks for, in one line."""
    exercise = _get(key)
    return f"[{key}] write {exercise.name}: {exercise.task}"


def hint(key: str) -> str:
    """A hint for one exercise (given only when asked for)."""
    return _get(key).hint


def check(key: str, answer, *, hint: bool = False, seed: int | None = None) -> Feedback:
    """Check a learner's answer: ✓, ✗ with what is wrong, or "not done yet"; never raises.

    ``answer`` is the learner's function (for a number: a function of no arguments, or the number).
    ``seed`` fixes the random inputs (default: fresh ones on every call); ``hint=True`` adds the hint.
    """
    exercise = _get(key)
    more = f"Hint: {exercise.hint}" if hint else f'Stuck? exercises.hint("{key}") gives a hint.'
    if answer is None:
        return _feedback(key, None, f"… [{key}] not done yet: write {exercise.name} above ({exercise.task}), then "
                                    "run this cell again.")
    kit = next((f"{f.__module__}.{f.__name__}" for f in exercise.kit if answer is f), None) or _kit_name(answer)
    if kit:
        return _feedback(key, False, f"✗ [{key}] not yet: that is the kit's own {kit}. The task is to write "
                                     f"{exercise.name} yourself; the check compares it with the kit's.")
    try:
        text, error = exercise.judge(answer, np.random.default_rng(seed))
    except _NotDone:
        return _feedback(key, None, f"… [{key}] not done yet: {exercise.name} still raises NotImplementedError. "
                                    f"Write it ({exercise.task}), then run this cell again.", more)
    except _Wrong as wrong:
        return _feedback(key, False, f"✗ [{key}] not yet: {wrong}.", more, error=wrong.error)
    return _feedback(key, True, f"✓ [{key}] right: {text}", error=error)


def grade(key: str, answer) -> None:
    """Raise ``AssertionError`` (with the check's message) unless ``answer`` passes: the
    notebooks' hidden tests, which nbgrader's autograder runs, call this."""
    feedback = check(key, answer)
    assert feedback.passed is True, feedback.message


def _feedback(key: str, passed: bool | None, *paragraphs: str, error: float | None = None) -> Feedback:
    """Paragraphs wrapped at 100 characters: a notebook shows plain text without wrapping words."""
    text = "\n".join(textwrap.fill(p, width=100, break_long_words=False, break_on_hyphens=False) for p in paragraphs)
    return Feedback(key, passed, text, error)


def _get(key: str) -> Exercise:
    if key not in EXERCISES:
        raise KeyError(f"no exercise {key!r}; the exercises are {', '.join(EXERCISES)}")
    return EXERCISES[key]

"""Draws from the catalog's stated spreads (orchestrator.catalog.models.Spread), vectorised."""

from __future__ import annotations

from typing import Any


def draw(rng: Any, spread: Any, size: Any) -> Any:
    """``size`` draws of ``spread`` as a numpy array."""
    import numpy as np

    kind = spread.distribution
    if kind == "none":
        return np.full(size, float(spread.mode))
    if kind == "uniform":
        return rng.uniform(spread.low, spread.high, size)
    if kind == "lognormal":
        return spread.mode * np.exp(rng.normal(0.0, spread.sigma, size))
    if spread.low == spread.high:
        return np.full(size, float(spread.low))
    return rng.triangular(spread.low, spread.mode, spread.high, size)


def describe(spread: Any, unit: str) -> str:
    """One line for the output: what was assumed."""
    return _described(spread, unit).rstrip()


def _described(spread: Any, unit: str) -> str:
    kind = spread.distribution
    if kind == "none":
        return f"{spread.mode:g} {unit}, no spread"
    if kind == "uniform":
        return f"uniform {spread.low:g}..{spread.high:g} {unit}"
    if kind == "lognormal":
        return f"lognormal, median {spread.mode:g} {unit}, sigma {spread.sigma:g}"
    return f"triangular {spread.low:g}/{spread.mode:g}/{spread.high:g} {unit}"

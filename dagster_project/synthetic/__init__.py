"""The synthetic landing-zone generator behind `cswh generate`."""

from .generator import generate

__all__ = ["generate"]

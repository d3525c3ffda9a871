"""Where the data lives: inside the installed wheel, or beside src/ in a checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_root() -> Path:
    """The folder holding rules/, kbase/ and examples/ (the wheel's _data, else the checkout
    root)."""
    bundled = _PACKAGE / "_data"
    if (bundled / "kbase").is_dir():
        return bundled
    checkout = _PACKAGE.parent.parent
    if (checkout / "kbase").is_dir():
        return checkout
    raise RuntimeError(f"runplan data (rules/, kbase/) not found near {_PACKAGE}")


def kbase_dir() -> Path:
    return data_root() / "kbase"


def rules_dir() -> Path:
    return data_root() / "rules"


def examples_dir() -> Path:
    return data_root() / "examples"

"""runplan: decide where each service should run (Kubernetes, serverless or hybrid)."""

from typing import Any


def __getattr__(name: str) -> Any:
    """`runplan.__version__`, read from the installed metadata only when asked (importing
    importlib.metadata is a tenth of `runplan score`'s start-up)."""
    if name != "__version__":
        raise AttributeError(f"module 'runplan' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("runplan")
    except PackageNotFoundError:  # running from a checkout without an install
        return "0.0.0+checkout"

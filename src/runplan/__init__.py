"""runplan: decide where each service should run (Kubernetes, serverless or hybrid)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("runplan")
except PackageNotFoundError:  # running from a checkout without an install
    __version__ = "0.0.0+checkout"

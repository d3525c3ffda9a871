"""`python -m runplan` is the `runplan` command."""

from runplan.cli import run

run()

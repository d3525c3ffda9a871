"""The bundled example profiles and estates, written out so that a plain install has
something to run (`runplan examples DIR`, then `runplan advise DIR/payments-webhook.yaml`)."""

from __future__ import annotations

from pathlib import Path

from runplan.atomic import write_text
from runplan.errors import Problem, UserError
from runplan.paths import examples_dir


def bundled_examples() -> list[Path]:
    """Every example file shipped with runplan, by name."""
    return sorted(p for p in examples_dir().iterdir() if p.is_file())


def write_examples(target: Path, force: bool = False) -> list[Path]:
    """Copy the examples into `target` (made if missing, its parent must exist). Nothing is
    written when a file of the same name is there already, unless `force`: then it is
    replaced."""
    if target.exists() and not target.is_dir():
        raise UserError(Problem(str(target), None, "", "is not a directory"))
    if not target.exists():
        parent = target.parent if str(target.parent) else Path(".")
        if not parent.is_dir():
            raise UserError(Problem(str(target), None, "", f"directory {parent} does not exist"))
        target.mkdir()
    sources = bundled_examples()
    clashes = [target / p.name for p in sources if (target / p.name).exists()
               or (target / p.name).is_symlink()]
    folders = [path for path in clashes if path.is_dir() and not path.is_symlink()]
    if folders:
        raise UserError([Problem(str(path), None, "", "is a directory; an example file has "
                                 "this name") for path in folders])
    if clashes and not force:
        raise UserError([Problem(str(path), None, "", "already exists; --force replaces it")
                         for path in clashes])
    written = []
    for source in sources:
        write_text(target / source.name, source.read_text(encoding="utf-8"))
        written.append(target / source.name)
    return written

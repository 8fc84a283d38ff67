"""Where the command writes: checks of output paths made before a run, so a long simulation never
ends in a traceback because its report cannot be written.

This module owns the rules for ``--report DIR`` (a directory for ``index.html`` and its plots; an
existing report there is kept unless forced) and ``--events FILE`` (a file in a directory that can
be written; an existing file is kept unless forced). Each check returns a one-line problem naming the option, or None. It never simulates
and writes nothing that it leaves behind (a probe file is removed at once).

>>> import tempfile, pathlib
>>> home = pathlib.Path(tempfile.mkdtemp())
>>> report_problem("--report", home / "out", force=False) is None
True
>>> _ = (home / "taken").write_text("x")
>>> report_problem("--report", home / "taken", force=True)  # doctest: +ELLIPSIS
'--report .../taken: is a file; give a directory for index.html and its plots'
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

__all__ = ["events_problem", "missing_extra", "report_problem"]

REPORT_PAGE = "index.html"


def report_problem(option: str, directory: Path, *, force: bool) -> str | None:
    """Why the HTML report cannot go to ``directory``, or None. Cost: one probe file."""
    if directory.exists() and not directory.is_dir():
        return f"{option} {directory}: is a file; give a directory for {REPORT_PAGE} and its plots"
    if (directory / REPORT_PAGE).exists() and not force:
        return (
            f"{option} {directory}: already holds a report ({REPORT_PAGE}); add --force to "
            "overwrite it, or give another directory"
        )
    return _writable(option, directory, directory)


def events_problem(option: str, path: Path, *, force: bool = False) -> str | None:
    """Why the events file cannot be written at ``path``, or None. Cost: one probe file."""
    if path.is_dir():
        return f"{option} {path}: is a directory; give a file name (e.g. contacts.jsonl)"
    if path.exists() and not force:
        return (
            f"{option} {path}: already exists; add --force to overwrite it, or give another name"
        )
    return _writable(option, path, path.parent)


def missing_extra(module: str, extra: str, option: str) -> str | None:
    """A problem when ``module`` is not installed (``extra`` installs it), or None. Cost: O(1)."""
    if importlib.util.find_spec(module) is not None:
        return None
    return f"{option} needs {module}: pip install 'experiencehub[{extra}]'"


def _writable(option: str, path: Path, directory: Path) -> str | None:
    """``directory`` (made when missing) must take a new file: probed, as permissions lie to
    root and to read-only file systems."""
    existing = directory
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        return f"{option} {path}: {existing} is a file, not a directory"
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        return f"{option} {path}: cannot write in {existing} ({exc.strerror or exc})"
    return None

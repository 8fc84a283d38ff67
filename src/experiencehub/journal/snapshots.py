"""Snapshots: the whole router at a journal position, versioned and checksummed.

A snapshot file ``snapshot-<seq>.snap`` is a header line and a body::

    EXPERIENCEHUB-SNAPSHOT {"format": 1, "package": "0.1.0", "seq": 42, "at": 360.0,
                            "length": 5120, "sha256": "…"}\\n
    <body: pickle of the Router, protocol 5>

``seq`` is the last journal record the router had applied; ``at`` its clock. Loading checks, in
order: the magic word, the header, the format and package versions (another version is
:class:`~.errors.SnapshotVersionMismatch`: the router's private layout may have changed), the
length and SHA-256 of the body (:class:`~.errors.SnapshotCorrupt`), and only then unpickles.

**Trust boundary.** Unpickling runs code named by the file, so a snapshot is as trusted as the
program: keep snapshots in a directory only the deployment writes (they are created with mode
0600). The checksum detects damage, not tampering. The body is pickle because it restores the
router's exact state — heaps, sorted lines, deadline sequence numbers, the policy's random
generator — which a hand-written format would have to restate field by field (and drift).

Writing is atomic: a temporary file is written and fsync'd, renamed into place, and the
directory fsync'd, so a crash leaves the old snapshot or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
from pathlib import Path

import attrs

from .. import __version__
from ..core.router import Router
from .backends import fsync_directory
from .errors import SnapshotCorrupt, SnapshotVersionMismatch

__all__ = ["FORMAT_VERSION", "SnapshotInfo", "list_snapshots", "read_snapshot", "write_snapshot"]

FORMAT_VERSION = 7
"""Version of the snapshot layout (header and body encoding); 2 since the Router holds its
state by composition, 3 since it holds open consults, 4 since it holds callbacks whose retry fell
while their queue was closed, 5 since an agent may auto-accept (a format 4 body has agents
without that slot, so it is refused rather than loaded half-known), 6 since a rejoin window keeps
the customer's priority (a format 5 body's rejoin entries lack it), 7 since a queue spec may
have its own offer timeout (a format 6 body's queue specs lack the slot) and the router knows
which queues their hours closed, ordering hours deadlines first at their instant."""

MAGIC = b"EXPERIENCEHUB-SNAPSHOT "
_NAME = re.compile(r"snapshot-(\d{12})\.snap")


@attrs.frozen(kw_only=True, slots=True)
class SnapshotInfo:
    """A snapshot file on disk and the journal position its name claims."""

    seq: int
    path: Path


def list_snapshots(directory: Path) -> list[SnapshotInfo]:
    """The snapshot files in ``directory``, oldest first. Cost: O(files in the directory)."""
    found = (_NAME.fullmatch(p.name) for p in Path(directory).iterdir())
    return sorted(
        (SnapshotInfo(seq=int(m.group(1)), path=Path(directory) / m.group(0)) for m in found if m),
        key=lambda info: info.seq,
    )


def write_snapshot(directory: Path, seq: int, router: Router) -> Path:
    """Write the router's state after journal record ``seq``, atomically. Cost: O(router size)
    to pickle and hash, two fsyncs.
    """
    body = pickle.dumps(router, protocol=5)
    header = {"format": FORMAT_VERSION, "package": __version__, "seq": seq, "at": router.now,
              "length": len(body), "sha256": hashlib.sha256(body).hexdigest()}  # fmt: skip
    path = Path(directory) / f"snapshot-{seq:012d}.snap"
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(MAGIC + json.dumps(header).encode() + b"\n")
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_directory(Path(directory))
    return path


def read_snapshot(path: Path) -> tuple[int, Router]:
    """The journal position and router of a snapshot; refuses another version or a damaged file
    (:class:`SnapshotVersionMismatch`, :class:`SnapshotCorrupt`). Cost: O(file size).
    """
    data = Path(path).read_bytes()
    line_end = data.find(b"\n")
    if not data.startswith(MAGIC) or line_end < 0:
        raise SnapshotCorrupt(f"{Path(path).name}: not a snapshot (no header line)")
    try:
        header = json.loads(data[len(MAGIC) : line_end])
        version, package = header["format"], header["package"]
        seq, length, digest = int(header["seq"]), int(header["length"]), str(header["sha256"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SnapshotCorrupt(f"{Path(path).name}: unreadable header ({exc})") from exc
    if version != FORMAT_VERSION or package != __version__:
        raise SnapshotVersionMismatch(
            f"{Path(path).name}: snapshot format {version!r} of experiencehub {package!r}; this "
            f"release ({__version__}) reads format {FORMAT_VERSION} of its own version only"
        )
    body = data[line_end + 1 :]
    if len(body) != length or hashlib.sha256(body).hexdigest() != digest:
        raise SnapshotCorrupt(
            f"{Path(path).name}: body of {len(body)} bytes does not match its header "
            f"({length} bytes and its SHA-256): damaged or cut short"
        )
    router = pickle.loads(body)
    if not isinstance(router, Router):
        raise SnapshotCorrupt(f"{Path(path).name}: holds a {type(router).__name__}, not a Router")
    return seq, router

"""Typed errors of the journal: refused events, refused snapshots, a damaged or failed journal.

Only :class:`SecretInEvent` is a :class:`~experiencehub.core.errors.RoutingError`: it refuses an
event before routing, so nothing changed and it carries no decisions. The others are not, on
purpose: :class:`JournalFailed` reports an event the router may have applied but the journal could
not keep, and catching ``RoutingError`` to skip a bad event must never swallow it.

Messages never quote an id the secret check refused; they name the field and the kind of secret.

>>> raise SnapshotVersionMismatch("snapshot-000000000042.snap: format 2, this release reads 1")
Traceback (most recent call last):
...
experiencehub.journal.errors.SnapshotVersionMismatch: snapshot-000000000042.snap: format 2, this release reads 1
"""

from __future__ import annotations

from ..core.errors import CallerError

__all__ = [
    "JournalCorrupt",
    "JournalError",
    "JournalFailed",
    "JournalLocked",
    "NothingToRecover",
    "SecretInEvent",
    "SnapshotCorrupt",
    "SnapshotRefused",
    "SnapshotVersionMismatch",
]


class JournalError(Exception):
    """Base class of every journal error."""


class SecretInEvent(JournalError, CallerError):
    """An id or name in the event reads as a card number or another secret; the event was not
    routed (nothing changed, no decisions) and nothing was written."""


class JournalFailed(JournalError):
    """Writing the journal failed, or the journaled router was closed by an earlier failure.

    The event's decisions are withheld: the router in memory is ahead of the journal and is
    dropped. Rebuild it with :func:`~experiencehub.journal.recover` and send the event again.
    """


class JournalLocked(JournalError):
    """Another journaled router (in this or another process on this host) holds the directory."""


class JournalCorrupt(JournalError):
    """The journal cannot be replayed: a damaged record before its tail, a gap in the sequence,
    or a journaled event the rebuilt router refuses (a different configuration)."""


class NothingToRecover(JournalError):
    """The directory holds no journal, or no usable snapshot and not the journal's beginning."""


class SnapshotRefused(JournalError):
    """A snapshot that must not be loaded; recovery falls back to the previous one."""


class SnapshotCorrupt(SnapshotRefused):
    """The snapshot's header is unreadable or its checksum does not match its body."""


class SnapshotVersionMismatch(SnapshotRefused):
    """The snapshot was written by another snapshot format or package version."""

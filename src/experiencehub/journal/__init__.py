"""Durable routing state: a journal of accepted events, snapshots, recovery and retention.

>>> import tempfile
>>> from experiencehub import QueueSpec, Router, SkillGraph
>>> from experiencehub import events as ev
>>> directory = tempfile.mkdtemp()
>>> journaled = JournaledRouter.create(directory, Router(SkillGraph(), [QueueSpec("q", channel="chat")]))
>>> _ = journaled.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}))
>>> _ = journaled.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="q"))
>>> del journaled  # the process dies
>>> router = recover(directory).router
>>> [(w.contact_id, w.phase, w.until) for w in router.work("a1")]
[('c1', 'offered', 31.0)]

See docs/durability.md.
"""

from __future__ import annotations

from .errors import (
    JournalCorrupt,
    JournalError,
    JournalFailed,
    JournalLocked,
    NothingToRecover,
    SecretInEvent,
    SnapshotCorrupt,
    SnapshotRefused,
    SnapshotVersionMismatch,
)
from .journaled import JournalConfig, JournaledRouter, RecoveryReport, recover

__all__ = [
    "JournalConfig",
    "JournalCorrupt",
    "JournalError",
    "JournalFailed",
    "JournalLocked",
    "JournaledRouter",
    "NothingToRecover",
    "RecoveryReport",
    "SecretInEvent",
    "SnapshotCorrupt",
    "SnapshotRefused",
    "SnapshotVersionMismatch",
    "recover",
]

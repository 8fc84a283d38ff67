"""JournaledRouter, its back-ends, snapshots, retention and data protection (docs/durability.md)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from experiencehub import ClockWentBackwards, OfferNotFound, QueueSpec, Router, SkillGraph
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.context.secrets import luhn_valid
from experiencehub.core.errors import ConfigError, RouterFailed, UnknownAgent
from experiencehub.journal import (
    JournalConfig,
    JournalCorrupt,
    JournaledRouter,
    JournalFailed,
    JournalLocked,
    NothingToRecover,
    SecretInEvent,
    SnapshotCorrupt,
    SnapshotVersionMismatch,
    recover,
)
from experiencehub.journal.records import decode, encode, read_frames
from experiencehub.journal.snapshots import FORMAT_VERSION, list_snapshots, read_snapshot
from journal_streams import CARD, build_router, fingerprint, next_event

BACKENDS = ["file", "sqlite"]


def small_router() -> Router:
    return Router(SkillGraph(), [QueueSpec("q", channel="phone")], offer_timeout=30.0)


def records(directory: Path, backend: str) -> list[ev.Event]:
    """Every journaled event, oldest first, read straight from the files."""
    if backend == "sqlite":
        with sqlite3.connect(directory / "journal.sqlite") as conn:
            rows = conn.execute("SELECT body FROM events ORDER BY seq").fetchall()
        conn.close()
        return [decode(body) for (body,) in rows]
    return [
        decode(payload)
        for path in sorted(directory.glob("journal-*.log"))
        for _offset, payload in read_frames(path.read_bytes())
    ]


# -- what is journaled ----------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_accepted_events_are_journaled_in_order(tmp_path: Path, backend: str) -> None:
    journaled = JournaledRouter.create(tmp_path, small_router(), JournalConfig(backend=backend))
    events = [ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}),
              ev.ContactArrived(at=1.0, contact_id="c1", queue="q"),
              ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1")]  # fmt: skip
    for event in events:
        journaled.handle(event)
    assert journaled.seq == 3 and records(tmp_path, backend) == events


@pytest.mark.parametrize("backend", BACKENDS)
def test_rejections_journal_their_tick_only_when_it_changed_something(
    tmp_path: Path, backend: str
) -> None:
    journaled = JournaledRouter.create(tmp_path, small_router(), JournalConfig(backend=backend))
    journaled.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}))
    journaled.handle(ev.ContactArrived(at=0.0, contact_id="c1", queue="q"))  # offer expires at 30
    with pytest.raises(UnknownAgent):  # same time, nothing due: no trace
        journaled.handle(ev.AgentLoggedOut(at=0.0, agent_id="ghost"))
    with pytest.raises(OfferNotFound) as late:  # the offer expired at 30: a Tick(40) happened
        journaled.handle(ev.OfferAccepted(at=40.0, contact_id="c1", agent_id="a1"))
    assert [type(d) for d in late.value.decisions][:1] == [dc.OfferExpired]
    with pytest.raises(ClockWentBackwards):
        journaled.handle(ev.Tick(at=10.0))
    with pytest.raises(UnknownAgent):  # only the clock moves: still journaled (now matters)
        journaled.handle(ev.AgentLoggedOut(at=41.0, agent_id="ghost"))
    journaled.handle(ev.Tick(at=41.0))  # changes nothing: not journaled
    assert records(tmp_path, backend)[2:] == [ev.Tick(at=40.0), ev.Tick(at=41.0)]
    journaled.close()
    assert fingerprint(recover(tmp_path, JournalConfig(backend=backend)).router) == fingerprint(
        journaled.router
    )


def test_the_journal_keeps_no_free_text_but_the_away_reasons_the_router_keeps() -> None:
    arrived = ev.ContactArrived(at=1.0, contact_id="c1", queue="q", attributes={"note": "hello"})
    away = ev.AgentStatusChanged(at=1.0, agent_id="a1", status="away", reason="Break")
    assert decode(encode(arrived)) == ev.ContactArrived(at=1.0, contact_id="c1", queue="q")
    assert decode(encode(away)) == away


@pytest.mark.parametrize("backend", BACKENDS)
def test_recovery_keeps_away_reasons(tmp_path: Path, backend: str) -> None:
    config = JournalConfig(backend=backend)
    journaled = JournaledRouter.create(tmp_path, small_router(), config)
    journaled.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}))
    journaled.handle(ev.AgentStatusChanged(at=1.0, agent_id="a1", status="away", reason="Break"))
    expected = journaled.router.agent_view("a1")
    journaled.close()
    recovered = recover(tmp_path, config)
    assert recovered.router.agent_view("a1") == expected
    assert (expected.reason, expected.since) == ("Break", 1.0)
    recovered.close()


def test_config_is_checked() -> None:
    for bad in [{"backend": "tape"}, {"fsync": "never"}, {"snapshot_every_events": 0},
                {"snapshot_every_seconds": float("nan")}, {"keep_snapshots": 0}]:  # fmt: skip
        with pytest.raises(ConfigError):
            JournalConfig(**bad)  # type: ignore[arg-type]


def test_one_journaled_router_per_directory(tmp_path: Path) -> None:
    journaled = JournaledRouter.create(tmp_path, small_router())
    with pytest.raises(JournalLocked, match="another journaled router holds it"):
        recover(tmp_path)
    journaled.close()
    recovered = recover(tmp_path)
    with pytest.raises(JournalLocked):
        recover(tmp_path)
    recovered.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_recover_refuses_the_other_back_end(tmp_path: Path, backend: str) -> None:
    journaled = JournaledRouter.create(tmp_path, small_router(), JournalConfig(backend=backend))
    journaled.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}))
    journaled.close()
    other = "file" if backend == "sqlite" else "sqlite"
    with pytest.raises(ConfigError, match=f"holds a {backend} journal"):
        recover(tmp_path, JournalConfig(backend=other))
    assert recover(tmp_path, JournalConfig(backend=backend)).seq == 1


def test_create_refuses_a_directory_that_holds_a_journal(tmp_path: Path) -> None:
    JournaledRouter.create(tmp_path, small_router()).close()
    with pytest.raises(ConfigError, match="already holds a journal"):
        JournaledRouter.create(tmp_path, small_router())


# -- failures ---------------------------------------------------------------------------------
class FailingBackend:
    def __init__(self, inner: object) -> None:
        self.inner = inner

    def append(self, seq: int, payload: bytes) -> None:
        raise OSError(28, "No space left on device")

    def close(self) -> None:
        self.inner.close()  # type: ignore[attr-defined]


def test_a_failed_write_withholds_the_decisions_and_closes_the_router(tmp_path: Path) -> None:
    journaled = JournaledRouter.create(tmp_path, small_router())
    journaled.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}))
    journaled._backend = FailingBackend(journaled._backend)  # type: ignore[assignment]
    arrival = ev.ContactArrived(at=1.0, contact_id="c1", queue="q")
    with pytest.raises(JournalFailed, match="withheld") as caught:
        journaled.handle(arrival)
    assert isinstance(caught.value.__cause__, OSError)
    with pytest.raises(JournalFailed, match="refused"):
        journaled.handle(ev.Tick(at=2.0))
    recovered = recover(tmp_path)  # the state before the arrival; the host sends it again
    assert recovered.router.contact_ids() == []
    assert [type(d) for d in recovered.handle(arrival)] == [dc.Offer]


def test_a_router_bug_closes_the_journaled_router_and_is_not_journaled(tmp_path: Path) -> None:
    journaled = JournaledRouter.create(tmp_path, small_router())
    journaled.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}))

    def broken(_event: object, _out: object) -> None:
        raise KeyError("bug")

    journaled.router._handlers[ev.ContactArrived] = (lambda _e: None, broken)
    with pytest.raises(RouterFailed):
        journaled.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="q"))
    with pytest.raises(JournalFailed):
        journaled.handle(ev.Tick(at=2.0))
    assert recover(tmp_path).seq == 1


# -- torn and damaged journals ---------------------------------------------------------------------
def test_a_torn_last_record_is_cut_off_and_journaling_continues(tmp_path: Path) -> None:
    journaled = JournaledRouter.create(tmp_path, small_router())
    journaled.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}))
    journaled.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="q"))
    journaled.close()
    segment = max(tmp_path.glob("journal-*.log"))
    segment.write_bytes(segment.read_bytes()[:-7])  # the last write was torn
    recovered = recover(tmp_path)
    assert recovered.seq == 1 and recovered.recovery is not None
    assert recovered.recovery.dropped_bytes > 0
    recovered.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="q"))
    recovered.close()
    assert recover(tmp_path).seq == 2


def test_a_damaged_record_before_the_tail_is_corruption(tmp_path: Path) -> None:
    journaled = JournaledRouter.create(
        tmp_path, small_router(), JournalConfig(snapshot_every_events=2, keep_snapshots=3)
    )
    for i in range(3):
        journaled.handle(ev.AgentLoggedIn(at=float(i), agent_id=f"a{i}", skills={}))
    journaled.close()
    for snapshot in tmp_path.glob("snapshot-*.snap"):
        if snapshot.name != "snapshot-000000000000.snap":
            snapshot.unlink()  # recovery must replay the first segment
    first = min(tmp_path.glob("journal-*.log"))
    data = bytearray(first.read_bytes())
    data[12] ^= 0x01
    first.write_bytes(bytes(data))
    with pytest.raises(JournalCorrupt, match="next segment begins at 3"):
        recover(tmp_path)


def test_a_journal_that_does_not_fit_the_router_is_corruption(tmp_path: Path) -> None:
    JournaledRouter.create(tmp_path, small_router()).handle(
        ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={})
    )
    other = small_router()
    other.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}))  # has a1 already
    JournaledRouter.create(tmp_path / "other", other).close()
    (tmp_path / "other" / "snapshot-000000000000.snap").replace(
        tmp_path / "snapshot-000000000000.snap"
    )
    with pytest.raises(JournalCorrupt, match="refused on replay"):
        recover(tmp_path)


def test_a_snapshot_whose_name_and_header_disagree_is_refused(tmp_path: Path) -> None:
    journaled = JournaledRouter.create(tmp_path, small_router())
    journaled.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}))
    journaled.snapshot()
    journaled.close()
    (tmp_path / "snapshot-000000000001.snap").replace(tmp_path / "snapshot-000000000005.snap")
    recovered = recover(tmp_path)
    assert recovered.recovery is not None and recovered.recovery.snapshot_seq == 0
    assert "names record 5" in recovered.recovery.refused_snapshots[0][1]


def test_nothing_to_recover(tmp_path: Path) -> None:
    with pytest.raises(NothingToRecover):
        recover(tmp_path)
    JournaledRouter.create(tmp_path, small_router()).close()
    (tmp_path / "snapshot-000000000000.snap").write_bytes(b"junk")
    with pytest.raises(NothingToRecover, match="no usable snapshot"):
        recover(tmp_path)


# -- snapshots -----------------------------------------------------------------------------------
def test_snapshots_refuse_another_version_and_damage(tmp_path: Path) -> None:
    journaled = JournaledRouter.create(tmp_path, small_router())
    path = tmp_path / "snapshot-000000000000.snap"
    assert read_snapshot(path)[0] == 0
    good = path.read_bytes()
    ours = f'"format": {FORMAT_VERSION}'.encode()
    assert ours in good
    path.write_bytes(good.replace(ours, b'"format": 1'))  # e.g. one written before a layout change
    with pytest.raises(SnapshotVersionMismatch, match="format 1"):
        read_snapshot(path)
    path.write_bytes(good.replace(b'"package": "', b'"package": "0.0.'))
    with pytest.raises(SnapshotVersionMismatch, match=r"0\.0\."):
        read_snapshot(path)
    path.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(SnapshotCorrupt, match="does not match"):
        read_snapshot(path)
    path.write_bytes(good[:-10])
    with pytest.raises(SnapshotCorrupt, match="cut short"):
        read_snapshot(path)
    path.write_bytes(b"EXPERIENCEHUB-SNAPSHOT {nope\n")
    with pytest.raises(SnapshotCorrupt, match="header"):
        read_snapshot(path)
    journaled.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_recovery_falls_back_to_the_previous_snapshot(tmp_path: Path, backend: str) -> None:
    config = JournalConfig(backend=backend, fsync="os", snapshot_every_events=40)
    twin = build_router(2)
    journaled = JournaledRouter.create(tmp_path, build_router(2), config)
    for index in range(100):  # snapshots at 40 and 80
        event = next_event(twin, 9, index)
        assert journaled.handle(event) == twin.handle(event)
    journaled.close()
    newest = max(tmp_path.glob("snapshot-*.snap"))
    newest.write_bytes(newest.read_bytes().replace(b'"package": "', b'"package": "7.', 1))
    recovered = recover(tmp_path, config)
    assert recovered.recovery is not None
    assert recovered.recovery.snapshot_seq == 40 and recovered.recovery.replayed == 60
    assert [name for name, _why in recovered.recovery.refused_snapshots] == [newest.name]
    assert "experiencehub '7." in recovered.recovery.refused_snapshots[0][1]
    assert fingerprint(recovered.router) == fingerprint(twin)
    assert newest.with_suffix(".refused").exists()


@pytest.mark.parametrize("backend", BACKENDS)
def test_snapshots_by_event_time(tmp_path: Path, backend: str) -> None:
    config = JournalConfig(backend=backend, fsync="os", snapshot_every_events=None,
                           snapshot_every_seconds=100.0, keep_snapshots=10)  # fmt: skip
    journaled = JournaledRouter.create(tmp_path, small_router(), config)
    for at in (0.0, 50.0, 99.0, 100.0, 150.0, 210.0):
        journaled.handle(ev.Tick(at=at))
    # Tick(0.0) changed nothing (not journaled); snapshots after the ticks at 100 and 210
    assert [s.seq for s in list_snapshots(tmp_path)] == [0, 3, 5]


# -- retention -------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_retention_keeps_the_last_snapshots_and_the_journal_after_the_oldest(
    tmp_path: Path, backend: str
) -> None:
    config = JournalConfig(backend=backend, fsync="os", snapshot_every_events=25, keep_snapshots=3)
    twin = build_router(0)
    journaled = JournaledRouter.create(tmp_path, build_router(0), config)
    for index in range(260):
        event = next_event(twin, 4, index)
        journaled.handle(event)
        twin.handle(event)
    assert [s.seq for s in list_snapshots(tmp_path)] == [200, 225, 250]
    kept = records(tmp_path, backend)
    assert len(kept) == 60  # records 201..260: exactly what the oldest kept snapshot needs
    if backend == "file":
        assert sorted(p.name for p in tmp_path.glob("journal-*.log")) == [
            "journal-000000000201.log", "journal-000000000226.log", "journal-000000000251.log"]  # fmt: skip
    journaled.close()
    for snapshot in list_snapshots(tmp_path)[1:]:  # the two newest are damaged: still recoverable
        snapshot.path.write_bytes(b"junk")
    recovered = recover(tmp_path, config)
    assert recovered.recovery is not None and recovered.recovery.snapshot_seq == 200
    assert fingerprint(recovered.router) == fingerprint(twin)


# -- data protection ----------------------------------------------------------------------------
# A digit run inside a longer token of letters and digits is not a card number: the snapshot
# header's sha256 (hex) holds runs of 13+ decimal digits by chance (about one snapshot in 20).
_DIGIT_RUN = re.compile(rb"(?<![0-9A-Za-z])[0-9](?:[ ._/-]?[0-9]){12,}(?![0-9A-Za-z])")


def card_numbers_in(directory: Path) -> list[bytes]:
    """Every Luhn-valid 13–19 digit window of any digit run in every file of ``directory``."""
    found = []
    for path in directory.iterdir():
        for match in _DIGIT_RUN.finditer(path.read_bytes()):
            digits = re.sub(rb"[ ._/-]", b"", match.group()).decode()
            found += [digits[i : i + n].encode() for n in range(13, 20)
                      for i in range(len(digits) - n + 1) if luhn_valid(digits[i : i + n])]  # fmt: skip
    return found


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_card_number_or_personal_value_reaches_the_journal_or_a_snapshot(
    tmp_path: Path, backend: str
) -> None:
    """A journey in which card numbers, a phone number, an email and notes travel in attributes
    (which the journal drops) and in ids and status reasons (which it refuses)."""
    config = JournalConfig(backend=backend, snapshot_every_events=3)
    journaled = JournaledRouter.create(tmp_path, small_router(), config)
    journaled.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}))
    journaled.handle(ev.ContactArrived(at=1.5, contact_id="c1", queue="q", customer_id="cust-7",
        attributes={"identity": ["phone", "+44 20 7946 0000"], "email": "ann@example.com",
                    "note": f"customer read out {CARD}, cvv 737", "card": CARD.replace(" ", "")}))  # fmt: skip
    journaled.handle(ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1"))
    journaled.handle(ev.AgentStatusChanged(at=3.0, agent_id="a1", status="away", reason="Break"))
    refused = [ev.AgentStatusChanged(at=3.0, agent_id="a1", status="away",
                                     reason=f"typing {CARD} into the CRM"),
               ev.AgentStatusChanged(at=3.0, agent_id="a1", status="away", reason="pin 4321"),
               ev.ContactArrived(at=4.0, contact_id=CARD, queue="q"),
               ev.ContactArrived(at=4.0, contact_id="c2", queue="q", customer_id=CARD.replace(" ", "-")),
               ev.AgentLoggedIn(at=4.0, agent_id="pin 4321", skills={}),
               ev.ContactArrived(at=4.0, contact_id="c3", queue="q", preferred_agents=[CARD])]  # fmt: skip
    for event in refused:
        before = fingerprint(journaled.router)
        with pytest.raises(SecretInEvent) as caught:
            journaled.handle(event)
        assert CARD not in str(caught.value) and "4321" not in str(caught.value)
        assert caught.value.decisions == () and fingerprint(journaled.router) == before
    journaled.handle(ev.ContactEnded(at=5.0, contact_id="c1"))
    assert len(list_snapshots(tmp_path)) == 2  # snapshots hold the state after the journey
    assert card_numbers_in(tmp_path) == []
    everything = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    for personal in [b"7946", b"ann@example", b"customer read out", b"cvv", b"CRM", b"4321"]:
        assert personal not in everything, personal
    # the scan itself works: a card number that slipped through would be found, but not the same
    # digits inside a hexadecimal digest
    (tmp_path / "slipped").write_bytes(b'"sha256": "e8' + CARD.replace(" ", "").encode() + b'ab"')
    assert card_numbers_in(tmp_path) == []
    (tmp_path / "slipped").write_bytes(CARD.encode())
    assert card_numbers_in(tmp_path) == [CARD.replace(" ", "").encode()]

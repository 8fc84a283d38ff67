"""Hours of operation: OpenHours and a queue that opens and closes on time (docs/routing.md)."""

from __future__ import annotations

import pickle

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiencehub import ConfigError, OpenHours, QueueSpec, Router, SkillGraph, Stage
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.core.hours import DAY_SECONDS, WEEK_SECONDS
from routing_helpers import arrive, kinds, login, offers

H = 3600.0
WEEKDAYS = OpenHours(weekly=[(d, 9 * H, 17 * H) for d in range(5)])


def desk(hours: OpenHours, **fields: object) -> Router:
    queues = [QueueSpec("q", channel="phone", hours=hours, **fields),  # type: ignore[arg-type]
              QueueSpec("night", channel="phone", stages=[Stage(after=0, max_cost=None)])]  # fmt: skip
    return Router(SkillGraph(), queues)


def test_weekly_hours_with_a_week_offset_a_holiday_and_an_extra_day() -> None:
    monday = 3 * DAY_SECONDS  # the caller's clock starts on a Friday
    hours = OpenHours(weekly=[(d, 9 * H, 17 * H) for d in range(5)], week_starts_at=monday,
                      closed=[(monday + 9 * H, monday + DAY_SECONDS)],  # Monday is a holiday
                      extra_open=[(monday - DAY_SECONDS + 10 * H, monday - DAY_SECONDS + 12 * H)])  # fmt: skip
    assert hours.is_open_at(10 * H)  # Friday (day 4 of the week that started 4 days before)
    assert not hours.is_open_at(monday - DAY_SECONDS + 9 * H)  # Sunday, before the extra hours
    assert hours.is_open_at(monday - DAY_SECONDS + 11 * H)
    assert not hours.is_open_at(monday + 10 * H)  # the holiday
    assert hours.next_change(monday - DAY_SECONDS + 12 * H) == monday + DAY_SECONDS + 9 * H
    assert OpenHours().next_change(5.0) is None
    assert OpenHours(weekly=[(d, 0, DAY_SECONDS) for d in range(7)]).next_change(5.0) is None


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"weekly": [(7, 0, 10)]}, "day 0-6"),
        ({"weekly": [(0, 10, 5)]}, "0 <= start < end <= 86400"),
        ({"weekly": [(0, 0, 90_000)]}, "0 <= start < end <= 86400"),
        ({"closed": [(5, 5)]}, "closed\\[0\\]=\\(5, 5\\): must be \\(start, end\\) with start < end"),
        ({"week_starts_at": float("nan")}, "week_starts_at=nan"),
    ],
)
def test_bad_hours_are_refused_naming_the_value_and_rule(fields: dict[str, object], rule: str) -> None:
    with pytest.raises(ConfigError, match=rule):
        OpenHours(**fields)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="hours="):
        QueueSpec("q", channel="phone", hours="9-5")  # type: ignore[arg-type]


def test_the_queue_opens_and_closes_exactly_at_its_hours() -> None:
    router = desk(WEEKDAYS)
    assert not router.is_open("q") and router.next_hours_change("q") == 9 * H
    assert router.next_hours_change("night") is None
    [refused] = arrive(router, "c1", 8 * H, queue="q")
    assert refused.reason == "queue q closed (outside opening hours)"
    assert router.next_deadline() == 9 * H
    assert kinds(arrive(router, "c2", 9 * H, queue="q")) == ["Enqueued"]  # open at 9:00 sharp
    assert router.is_open("q") and router.next_hours_change("q") == 17 * H
    assert kinds(arrive(router, "c3", 17 * H - 1, queue="q")) == ["Enqueued"]
    assert kinds(arrive(router, "c4", 17 * H, queue="q")) == ["Refused"]  # closed at 17:00 sharp
    # the contacts waiting at closing keep being served (the default closing rule)
    assert offers(login(router, "a1", 18 * H, skills={}, capacity={"phone": 1})) == [("c2", "a1")]
    router._check()


def test_hours_close_with_the_queues_closing_rule_and_the_decisions_come_on_a_tick() -> None:
    router = desk(WEEKDAYS, closed_queue="night", closed_rule="move")
    router.handle(ev.Tick(at=9 * H))
    arrive(router, "c1", 10 * H, queue="q")
    decisions = router.handle(ev.Tick(at=17 * H))
    assert [(d.contact_id, d.queue) for d in decisions if isinstance(d, dc.Enqueued)] == [("c1", "night")]
    assert all(d.at == 17 * H for d in decisions)
    # arrivals outside hours go to the night queue
    assert [d.queue for d in arrive(router, "c2", 18 * H, queue="q")] == ["night"]


def test_a_manual_open_lasts_until_the_next_change_of_hours() -> None:
    router = desk(WEEKDAYS)
    router.handle(ev.QueueOpened(at=7 * H, queue="q"))
    assert router.is_open("q")
    router.handle(ev.QueueClosed(at=8 * H, queue="q", reason="late start"))
    router.handle(ev.Tick(at=9 * H))
    assert router.is_open("q")  # the hours opened it on time


def test_a_snapshot_and_an_added_queue_carry_the_hours() -> None:
    router = desk(WEEKDAYS)
    copy = pickle.loads(pickle.dumps(router))
    copy.handle(ev.Tick(at=9 * H))
    assert copy.is_open("q") and copy.next_hours_change("q") == 17 * H
    router.handle(ev.QueueAdded(at=10 * H, spec=QueueSpec("late", channel="chat", hours=WEEKDAYS)))
    assert router.is_open("late") and router.next_hours_change("late") == 17 * H
    router._check()


spans = st.tuples(st.integers(0, 6), st.integers(0, 23), st.integers(1, 24)).map(
    lambda t: (t[0], t[1] * H, max(t[1] + 1, min(t[2] + t[1], 24)) * H)
)


@settings(max_examples=80, deadline=None)
@given(
    weekly=st.lists(spans, max_size=4),
    closed=st.lists(st.tuples(st.integers(0, 400), st.integers(1, 400)), max_size=2),
    offset=st.integers(-200, 200),
    t=st.integers(0, 300),
)
def test_next_change_is_the_first_time_the_answer_differs(
    weekly: list[tuple[int, float, float]], closed: list[tuple[int, int]], offset: int, t: int
) -> None:
    """Sampled hourly, the answer stays the same from t until next_change and differs there."""
    hours = OpenHours(weekly=weekly, week_starts_at=offset * H,
                      closed=[(a * H, (a + b) * H) for a, b in closed])  # fmt: skip
    start = t * H
    change = hours.next_change(start)
    before = hours.is_open_at(start)
    end = change if change is not None else start + 3 * WEEK_SECONDS
    probe = start
    while probe < end:
        assert hours.is_open_at(probe) == before, (probe, change)
        probe += H / 2
    if change is not None:
        assert hours.is_open_at(change) != before


def test_an_hours_change_applies_before_other_deadlines_due_at_the_same_instant() -> None:
    """Regression: the hours deadline of a queue changed (or opened) after a contact arrived
    was created after that contact's own deadlines and applied after those due at the same
    instant, so at its closing time the contact first widened its stage (and could be offered
    out of hours) before the closing ended it. The queue is closed at that instant: the
    closing comes first."""
    hours = OpenHours(weekly=[(0, 0.0, 100.0)])
    stages = [Stage(after=0, max_cost=0), Stage(after=60, max_cost=None)]
    router = desk(hours, closed_rule="end", stages=stages)
    arrive(router, "c1", 40.0, queue="q")  # its stage widens at 100, as the queue closes
    new_hours = OpenHours(weekly=[(0, 0.0, 100.0)], closed=[(200.0, 300.0)])
    spec = QueueSpec("q", channel="phone", hours=new_hours, closed_rule="end", stages=stages)
    router.handle(ev.QueueChanged(at=50.0, spec=spec))  # the closing's deadline made anew
    assert kinds(router.handle(ev.Tick(at=100.0))) == ["Refused"]
    router._check()


def test_hours_changes_at_one_instant_apply_in_configuration_order() -> None:
    """q closes at 100 and moves its contacts to r, which closes at 100 too: q (configured
    first) moves them while r is still open, then r's closing ends them."""
    hours = OpenHours(weekly=[(0, 0.0, 100.0)])
    queues = [
        QueueSpec("q", channel="phone", requires={"s": 1}, hours=hours, closed_queue="r",
                  closed_rule="move"),
        QueueSpec("r", channel="phone", requires={"s": 1}, hours=hours, closed_rule="end"),
    ]  # fmt: skip
    router = Router(SkillGraph(), queues)
    later = attrs.evolve(queues[0], priority_weight=2.0)
    router.handle(ev.QueueChanged(at=10.0, spec=later))  # q's deadline made after r's: no matter
    arrive(router, "c1", 20.0, queue="q")
    decisions = router.handle(ev.Tick(at=100.0))
    assert [(type(d).__name__, d.queue) for d in decisions] == [("Enqueued", "r"), ("Refused", "r")]


def test_a_queue_closed_by_hand_stays_closed_when_its_hours_go_whatever_its_reason() -> None:
    """Regression: the router told a queue its hours had closed by the reason of its closing, so
    one closed by hand with the reason "outside opening hours" opened when a QueueChanged took
    its hours away. Only a queue its hours closed opens then."""
    for at, closed_by_hand in ((10.0, True), (150.0, False)):  # open at 10, closed at 150
        router = desk(OpenHours(weekly=[(0, 0.0, 100.0)]))
        router.handle(ev.QueueClosed(at=at, queue="q", reason="outside opening hours"))
        plain = QueueSpec("q", channel="phone")
        router.handle(ev.QueueChanged(at=at + 10.0, spec=plain))
        assert router.is_open("q") is not closed_by_hand
        router._check()

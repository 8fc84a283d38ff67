"""The preferred-channel rule: a stated preference wins, else the habit of the newest contacts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from experiencehub.context.facts import ContactEntry, Fact
from experiencehub.context.preferences import LEARNED_FROM, preferred_channel_of

CHANNELS = ("phone", "chat", "email")


@st.composite
def histories(draw: st.DrawFn) -> list[ContactEntry]:
    channels = draw(st.lists(st.sampled_from(CHANNELS), max_size=25))
    times = draw(st.lists(st.integers(0, 50), min_size=len(channels), max_size=len(channels)))
    return [ContactEntry(customer_id="cust-1", contact_id=f"c{i:02d}", channel=ch, at=float(t))
            for i, (ch, t) in enumerate(zip(channels, times, strict=True))]  # fmt: skip


def stated(value: str, at: float) -> Fact:
    return Fact(customer_id="cust-1", name="preferred_channel", value=value, channel="phone",
                observed_at=at, expires_at=at + 100.0, method="customer")  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(histories(), st.integers(0, 60), st.lists(st.sampled_from(CHANNELS), max_size=3))
def test_stated_wins_else_the_most_used_of_the_newest_contacts(
    history: list[ContactEntry], at: int, said: list[str]
) -> None:
    facts = [stated(channel, float(i)) for i, channel in enumerate(said)]
    found = preferred_channel_of(facts, reversed(history), at=float(at))
    if said:  # the newest statement
        assert found is not None and (found.channel, found.source) == (said[-1], "customer")
        return
    known = [c for c in history if c.at <= at]
    if not known:
        assert found is None
        return
    # the oracle: newest first (equal times: by contact id), the first LEARNED_FROM of them
    newest = sorted(known, key=lambda c: (-c.at, c.contact_id))[:LEARNED_FROM]
    counts = {ch: sum(c.channel == ch for c in newest) for ch in CHANNELS}
    assert found is not None and found.source == "learned"
    assert counts[found.channel] == max(counts.values())
    tied = [c for c in newest if counts[c.channel] == max(counts.values())]
    assert (found.channel, found.contact_id) == (tied[0].channel, tied[0].contact_id)

"""Rows of the SQL stores back into values: SQLite and PostgreSQL keep facts and contacts in the
same column order (their schemas say so), so one decoder serves both."""

from __future__ import annotations

from typing import Any

from ._store_protocol import customer_id_of
from .facts import ContactEntry, Fact

__all__ = ["CONTACT_COLUMNS", "FACT_COLUMNS", "contact_of", "fact_of"]

FACT_COLUMNS = "customer_id, name, value, channel, observed_at, expires_at, sensitivity, verified, method, contact_id"
"""The ``facts`` columns a store writes and reads, in the order :func:`fact_of` decodes."""
CONTACT_COLUMNS = "customer_id, contact_id, channel, at, agent_id, outcome, topic, queue, ended_at"
"""The ``contacts`` columns a store writes and reads, in the order :func:`contact_of` decodes."""


def fact_of(row: tuple[Any, ...]) -> Fact:
    """A ``facts`` row (customer number, name, value, channel, observed, expires, sensitivity,
    verified, method, contact id) as a :class:`Fact`. Cost: O(1)."""
    number, name, value, channel, observed, expires, sensitivity, verified, method, contact = row
    return Fact(
        customer_id=customer_id_of(number),
        name=name,
        value=value,
        channel=channel,
        observed_at=observed,
        expires_at=expires,
        sensitivity=sensitivity,
        verified=bool(verified),
        method=method,
        contact_id=contact,
    )


def contact_of(row: tuple[Any, ...]) -> ContactEntry:
    """A ``contacts`` row (customer number, contact id, channel, at, agent, outcome, topic,
    queue, ended at) as a :class:`ContactEntry`. Cost: O(1)."""
    number, contact_id, channel, at, agent_id, outcome, topic, queue, ended_at = row
    return ContactEntry(
        customer_id=customer_id_of(number),
        contact_id=contact_id,
        channel=channel,
        at=at,
        agent_id=agent_id,
        outcome=outcome,
        topic=topic,
        queue=queue,
        ended_at=ended_at,
    )

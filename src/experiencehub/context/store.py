"""ContextStore and its shared implementation, under the import path they have always had.

This module owns no code: it re-exports the context-store API from the modules that hold it, so
``from experiencehub.context.store import StoreBase`` keeps working.

- :mod:`._store_protocol`: the :class:`ContextStore` protocol, :class:`AuditEntry`, customer ids
  and :func:`check_id`;
- :mod:`._store_base`: :class:`StoreBase`, the public API implemented once over a back-end's
  primitives (its docstring has the theory of operation);
- :mod:`.memory_store`: :class:`MemoryContextStore`; :mod:`.sqlite_store` and
  :mod:`.postgres_store`: the SQL back-ends, on :mod:`._sql_base`.
"""

from __future__ import annotations

from ._store_base import StoreBase
from ._store_protocol import DEFAULT_RETENTION_SECONDS, AuditEntry, ContextStore, check_id

# Importable from here as they always were, yet not in __all__:
# the explicit "as" marks them re-exported for type checkers.
from ._store_protocol import customer_id_of as customer_id_of  # noqa: PLC0414
from ._store_protocol import customer_number as customer_number  # noqa: PLC0414
from .identity import Identity as Identity  # noqa: PLC0414
from .memory_store import MemoryContextStore

__all__ = [
    "DEFAULT_RETENTION_SECONDS",
    "AuditEntry",
    "ContextStore",
    "MemoryContextStore",
    "StoreBase",
    "check_id",
]

"""satchel's artifact store: content-addressed, atomic, verified; local disk or any fsspec URL."""

from __future__ import annotations

from satchel.store.maintenance import GcReport, VerifyProblem
from satchel.store.store import Store
from satchel.store.uids import new_uid

__all__ = ["GcReport", "Store", "VerifyProblem", "new_uid"]

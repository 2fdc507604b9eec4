"""The people undo journal (``people_journal``): entries in order, undone ones forming the
redo stack. The service's ``people_journal`` decides what an entry holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from facedesk.storage.orm import PeopleJournalRow
from facedesk.storage.repositories.common import now as _now
from facedesk.storage.repositories.common import require_pk as _require_pk


class JournalRepository:
    """The people undo journal: entries in order; ``undone`` ones form the redo stack."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add(
        self,
        collection_id: str,
        action: str,
        summary: str,
        before: Mapping[str, Any],
        after: Mapping[str, Any],
    ) -> int:
        """Append an entry; a new action drops the redo stack (as every editor does)."""
        cpk = _require_pk(self._s, collection_id)
        self._s.execute(
            delete(PeopleJournalRow).where(
                PeopleJournalRow.collection_pk == cpk, PeopleJournalRow.undone.is_(True)
            )
        )
        row = PeopleJournalRow(
            collection_pk=cpk,
            action=action,
            summary=summary[:1024],
            before=dict(before),
            after=dict(after),
            undone=False,
            created_at=_now(),
        )
        self._s.add(row)
        self._s.flush()
        return int(row.pk)

    def _edge(self, collection_id: str, undone: bool) -> PeopleJournalRow | None:
        cpk = _require_pk(self._s, collection_id)
        order = PeopleJournalRow.pk.desc() if not undone else PeopleJournalRow.pk.asc()
        return self._s.scalars(
            select(PeopleJournalRow)
            .where(PeopleJournalRow.collection_pk == cpk, PeopleJournalRow.undone.is_(undone))
            .order_by(order)
            .limit(1)
        ).first()

    def last_done(self, collection_id: str) -> JournalEntry | None:
        row = self._edge(collection_id, undone=False)
        return None if row is None else _entry(row)

    def first_undone(self, collection_id: str) -> JournalEntry | None:
        row = self._edge(collection_id, undone=True)
        return None if row is None else _entry(row)

    def mark(self, entry_id: int, undone: bool) -> None:
        self._s.execute(
            update(PeopleJournalRow).where(PeopleJournalRow.pk == entry_id).values(undone=undone)
        )

    def entries(self, collection_id: str) -> list[JournalEntry]:
        cpk = _require_pk(self._s, collection_id)
        rows = self._s.scalars(
            select(PeopleJournalRow)
            .where(PeopleJournalRow.collection_pk == cpk)
            .order_by(PeopleJournalRow.pk)
        )
        return [_entry(r) for r in rows]


@dataclass(frozen=True)
class JournalEntry:
    entry_id: int
    action: str
    summary: str
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    undone: bool


def _entry(row: PeopleJournalRow) -> JournalEntry:
    return JournalEntry(
        int(row.pk), row.action, row.summary, dict(row.before), dict(row.after), bool(row.undone)
    )

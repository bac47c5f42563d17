"""The ledger's bookkeeping tables (DESIGN §2): each entry's movements and each rolled period's balance.

Apart from `models.py` because only the ledger and the monthly report use them, and
every command pays for building the table classes it imports: about 9 M instructions
each, against 231 M for all that `jiesu show` adds to its libraries (callgrind).
"""

from datetime import datetime

from sqlmodel import Field

from jiesu.models import TableModel, UTCDateTime


class LedgerMove(TableModel, table=True):
    """One movement of an entry (added, cleared, reopened), booked in a period."""

    __tablename__ = "ledger_moves"

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="ledger_entries.id")
    at: datetime = Field(sa_type=UTCDateTime)
    period: str
    kind: str


class LedgerBalance(TableModel, table=True):
    """A rolled period: 期初 + 本期新增 − 本期销账 = 期末."""

    __tablename__ = "ledger_balances"

    period: str = Field(primary_key=True)
    opening: int
    added: int
    cleared: int
    closing: int
    rolled_at: datetime = Field(sa_type=UTCDateTime)

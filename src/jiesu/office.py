"""What every service call stands on: the store, the rules in force, who acts and when."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from jiesu.clock import parse_when, shown_to_the_second, utcnow
from jiesu.digits import halfwidth
from jiesu.db import Store
from jiesu.errors import BadInput
from jiesu.rules import Calendar, Rules
from jiesu.safetext import echoed


@dataclass
class Office:
    """An open case book with its rules, the person at the keyboard, and the time."""

    store: Store
    rules: Rules
    actor: str
    now: datetime = field(default_factory=utcnow)
    calendar: Calendar = field(init=False)
    # What was typed for each time `when` read, so that a refusal naming the time can repeat it (`said`).
    typed: dict[datetime, str] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.calendar = Calendar(self.rules)

    @property
    def tz(self) -> ZoneInfo:
        return self.rules.tz

    def refuse_future(self, as_of: datetime | None, only: str = "只能查看过去或现在") -> None:
        """A view as of `as_of` sees what was known then; of a time still to come nothing is known yet
        (`only`: what the refusal says may be asked instead)."""
        if as_of is not None and as_of > self.now:
            raise BadInput(f"{self.said(as_of)} 还没有到，{only}")

    def when(
        self, text: str | None, *, end_of_day: bool = False, deadline: bool = False, receipt: str = ""
    ) -> datetime | None:
        """A typed time (`--at`, `--since`, …) read in this office's zone; None stays None. `receipt`
        names the option when the time is a receipt (see clock.parse_when)."""
        if text is None:
            return None
        moment = parse_when(text, now=self.now, tz=self.tz, end_of_day=end_of_day, deadline=deadline, receipt=receipt)
        self.typed[moment] = text
        return moment

    def said(self, moment: datetime, *, always: bool = False) -> str:
        """A time a refusal names, as jiesu shows it (to the second when it has seconds or `always`), after what
        was typed for it when that reads otherwise: `'24:00'（2026-12-02 00:00）`, `'+1h'（2026-12-01 10:30）`."""
        return self.beside_typed(moment, shown_to_the_second(moment, self.tz, always=always))

    def beside_typed(self, moment: datetime, shown: str) -> str:
        """`shown` (how a line shows `moment`) after what was typed for it when that reads otherwise (`said`)."""
        typed = self.typed.get(moment)
        written = None if typed is None else halfwidth(typed).strip().replace("T", " ")
        if written is None or written.startswith(shown) or shown.startswith(written):
            return shown  # `2026-12-01T09:30:50`, `2030-01-01`: the time shown says what was typed
        return f"{echoed(typed)}（{shown}）"

"""The inspection office's paperwork records: 满意度测评 surveys, 回头看 records and the report
milestone, kept in the registry's meta table (``registry.json``), one value per unit and kind:

```
survey:<UNIT>      [survey, …]         ledger.survey codec; responses inside, hashed voters
lookback:<UNIT>    [lookback, …]       ledger.lookback codec
milestone:<UNIT>   milestone           ledger.milestone codec
```

Why the registry: it is already written crash-safe (temp file, fsync, ``os.replace``, fsync of
the directory), checked by ``bot.py check`` and copied by ``bot.py backup``; these records
are small (a survey of 300 respondents is ~60 kB) and written by people, not by sweeps.
Every change is a read-decide-write under the registry's lock (``Registry.update_meta``),
so two answers at the same instant can neither both pass "answer once" nor lose each other.
A value that does not decode raises ``CorruptFile`` naming the registry, like any damaged
record.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ledger.lookback import Lookback, lookback_from_dict, lookback_to_dict
from ledger.milestone import Milestone, milestone_from_dict, milestone_to_dict
from ledger.survey import Survey, survey_from_dict, survey_to_dict
from storage.errors import CorruptFile
from storage.repo import Registry

T = TypeVar("T")


def _key(kind: str, unit: str) -> str:
    return f"{kind}:{unit}"


class PaperStore:
    """Surveys and 回头看 records of every unit, over one ``Registry``."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    # ------------------------------------------------------------------ surveys

    def surveys(self, unit: str) -> list[Survey]:
        """The unit's surveys, oldest first."""
        return self._decode_list(_key("survey", unit), survey_from_dict)

    def survey(self, unit: str, token: str) -> Survey | None:
        return next((s for s in self.surveys(unit) if s.token == token), None)

    def add_survey(self, unit: str, make: Callable[[list[Survey]], Survey]) -> Survey:
        """Store ``make(existing surveys)`` as the unit's newest survey, atomically (``make``
        raising stores nothing)."""
        made: list[Survey] = []

        def change(current: Any) -> list[dict[str, Any]]:
            surveys = self._decode_value(current, survey_from_dict)
            made.append(make(surveys))
            return [*(current or []), survey_to_dict(made[-1])]

        self._registry.update_meta(_key("survey", unit), change)
        return made[-1]

    def update_survey(self, unit: str, token: str, change: Callable[[Survey], Survey]) -> Survey:
        """Replace the survey ``token`` of ``unit`` by ``change(survey)`` atomically.
        ``LookupError`` when there is no such survey; ``change`` raising stores nothing."""
        return self._update(
            _key("survey", unit), token, "token", change, survey_from_dict, survey_to_dict
        )

    # ------------------------------------------------------------------ 回头看

    def lookbacks(self, unit: str) -> list[Lookback]:
        """The unit's 回头看 records, oldest first."""
        return self._decode_list(_key("lookback", unit), lookback_from_dict)

    def lookback(self, unit: str, record_id: str) -> Lookback | None:
        return next((r for r in self.lookbacks(unit) if r.id == record_id), None)

    def add_lookback(self, unit: str, make: Callable[[list[Lookback]], Lookback]) -> Lookback:
        """Store ``make(existing records)`` as the unit's newest 回头看, atomically."""
        made: list[Lookback] = []

        def change(current: Any) -> list[dict[str, Any]]:
            records = self._decode_value(current, lookback_from_dict)
            made.append(make(records))
            return [*(current or []), lookback_to_dict(made[-1])]

        self._registry.update_meta(_key("lookback", unit), change)
        return made[-1]

    def update_lookback(
        self, unit: str, record_id: str, change: Callable[[Lookback], Lookback]
    ) -> Lookback:
        """Replace the 回头看 ``record_id`` of ``unit`` by ``change(record)`` atomically."""
        return self._update(
            _key("lookback", unit), record_id, "id", change, lookback_from_dict, lookback_to_dict
        )

    # ------------------------------------------------------------------ the report milestone

    def milestone(self, unit: str) -> Milestone | None:
        """The unit's report milestone, or ``None`` before a feedback date is set."""
        key = _key("milestone", unit)
        raw = self._registry.get_meta(key)
        return None if raw is None else self._decode_one(raw, milestone_from_dict, key)

    def change_milestone(
        self, unit: str, change: Callable[[Milestone | None], Milestone]
    ) -> Milestone:
        """Replace the unit's milestone by ``change(current)`` atomically."""
        key = _key("milestone", unit)
        made: list[Milestone] = []

        def apply(current: Any) -> dict[str, Any]:
            old = None if current is None else self._decode_one(current, milestone_from_dict, key)
            made.append(change(old))
            return milestone_to_dict(made[-1])

        self._registry.update_meta(key, apply)
        return made[-1]

    # ------------------------------------------------------------------ internals

    def _update(
        self,
        key: str,
        wanted: str,
        field: str,
        change: Callable[[T], T],
        decode: Callable[[dict[str, Any]], T],
        encode: Callable[[T], dict[str, Any]],
    ) -> T:
        done: list[T] = []

        def apply(current: Any) -> list[dict[str, Any]]:
            records = list(current or [])
            for index, raw in enumerate(records):
                if isinstance(raw, dict) and raw.get(field) == wanted:
                    new = change(self._decode_one(raw, decode, key))
                    done.append(new)
                    records[index] = encode(new)
                    return records
            raise LookupError(f"no record {wanted!r} in {key}")

        self._registry.update_meta(key, apply)
        return done[-1]

    def _decode_list(self, key: str, decode: Callable[[dict[str, Any]], T]) -> list[T]:
        return self._decode_value(self._registry.get_meta(key), decode, key)

    def _decode_value(
        self, value: Any, decode: Callable[[dict[str, Any]], T], key: str = "meta"
    ) -> list[T]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._corrupt(key, "is not a list")
        return [self._decode_one(raw, decode, key) for raw in value]

    def _decode_one(self, raw: Any, decode: Callable[[dict[str, Any]], T], key: str) -> T:
        try:
            return decode(raw)
        except Exception as exc:  # any failure to decode means a damaged record
            raise self._corrupt(key, f"does not decode ({exc!r})") from exc

    def _corrupt(self, key: str, what: str) -> CorruptFile:
        return CorruptFile(Path(self._registry._storage.name), f"meta {key} {what}")

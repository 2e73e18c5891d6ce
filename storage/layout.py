"""Where things live in a data directory (DESIGN §4). One place, so the store, the
maintenance tools and bot.py agree.

```
<data>/.lock                   the owner's PID; flock'ed while the bot runs (storage.lock)
<data>/registry.json           units, people, invites, meta (schema 2; a schema-1 registry
                               still holding the alert log is migrated on the first locked open)
<data>/alerts.json             the alert log: one record per delivery key (alerts.log); its
                               own file so that a province's ~90,000 records are not rewritten
                               by every small registry write
<data>/alerts.jsonl            the alert log's journal: records written since alerts.json was
                               last compacted (storage.repo._AlertTable)
<data>/updates.jsonl           update de-duplication marks: a journal (storage.marks), the
                               newest 500 update keys
<data>/ledgers/<UNIT>.json     one ledger per unit: items, events, next item number
<data>/verified.json           the fingerprint of each ledger's bytes last known to decode
                               record by record (storage.stamps; derived, not backed up)
<data>/evidence/<UNIT>/<ITEM>/ downloaded 佐证材料 (storage.evidence; Evidence.stored_path is
                               relative to <data>)
<data>/quarantine/             byte-for-byte copies of damaged files (never read back)
```
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ledger.model import ITEM_ID_RE, valid_unit_code


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def registry(self) -> Path:
        return self.root / "registry.json"

    @property
    def alerts(self) -> Path:
        return self.root / "alerts.json"

    @property
    def alerts_journal(self) -> Path:
        return self.root / "alerts.jsonl"

    @property
    def updates(self) -> Path:
        return self.root / "updates.jsonl"

    @property
    def verified(self) -> Path:
        return self.root / "verified.json"

    @property
    def ledgers_dir(self) -> Path:
        return self.root / "ledgers"

    def ledger(self, unit: str) -> Path:
        return self.ledgers_dir / f"{unit}.json"

    @property
    def evidence_dir(self) -> Path:
        return self.root / "evidence"

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    @property
    def lock_file(self) -> Path:
        return self.root / ".lock"

    def ledger_files(self) -> dict[str, Path]:
        """Unit code -> ledger file for every ``<UNIT>.json`` in ``ledgers/`` (sorted by code).

        Files whose stem is not a valid unit code (temp files, stray copies) are not ledgers.
        """
        if not self.ledgers_dir.is_dir():
            return {}
        found = {
            p.stem: p
            for p in self.ledgers_dir.iterdir()
            if p.suffix == ".json" and valid_unit_code(p.stem) and p.is_file()
        }
        return dict(sorted(found.items()))

    def write_dirs(self) -> list[Path]:
        """Every existing directory a durable write (``storage.safe.atomic_write``) puts its
        temp files in: the root (registry, alert log), ``ledgers/``, ``quarantine/`` and each
        ``evidence/<UNIT>/<ITEM>/``. Only canonically named evidence folders count — the only
        ones ``storage.evidence`` writes into; symbolic links are not followed.
        """
        dirs = [d for d in (self.root, self.ledgers_dir, self.quarantine_dir) if d.is_dir()]
        for unit in _subdirs(self.evidence_dir):
            if not valid_unit_code(unit.name):
                continue
            for item in _subdirs(unit):
                match = ITEM_ID_RE.fullmatch(item.name)
                if match is not None and match.group(1) == unit.name:
                    dirs.append(item)
        return dirs


def _subdirs(directory: Path) -> list[Path]:
    """Real (not symlinked) subdirectories of ``directory``, sorted; none if it is missing."""
    try:
        with os.scandir(directory) as entries:
            found = [Path(e.path) for e in entries if e.is_dir(follow_symlinks=False)]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(found)

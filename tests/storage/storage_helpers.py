"""Builders shared by the storage tests (imported as ``tests.storage.storage_helpers``)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ledger.model import Event, Item, Status, Unit
from storage import Store
from storage.safe import FileOps

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=TZ)
HZ = Unit("HZ", "杭州市局党组", "第一轮")
NB = Unit("NB", "宁波市局党组")


def make_item(item_id: str, *, t: datetime = T0, **kw: Any) -> Item:
    unit = item_id.split("-")[0]
    fields: dict[str, Any] = {"category": "党的建设", "problem": "三会一课制度落实不到位"}
    fields.update(kw)
    return Item(id=item_id, unit=unit, created_at=t, **fields)


def make_event(item_id: str, seq: int, *, t: datetime = T0, **data: Any) -> Event:
    return Event(
        item_id=item_id,
        seq=seq,
        at=t + timedelta(minutes=seq),
        by=11,
        action="create" if seq == 1 else "progress",
        before=None if seq == 1 else Status.OPEN,
        after=Status.OPEN,
        data=dict(data),
    )


def add_item(store: Store, unit: str = "HZ", **kw: Any) -> Item:
    """A new item plus its creation event, in one transaction."""
    with store.ledger(unit).transaction() as tx:
        item = make_item(tx.new_item_id(), **kw)
        tx.put(item)
        tx.append(make_event(item.id, 1))
    return item


@dataclass
class Recorder:
    """FileOps that perform the real calls and log them as (call, path) pairs."""

    calls: list[tuple[str, str]] = field(default_factory=list)
    fail: dict[str, Exception] = field(default_factory=dict)  # call name -> raise before doing
    fds: dict[int, str] = field(default_factory=dict)

    def ops(self) -> FileOps:
        def wrap(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
            def call(*args: Any) -> Any:
                first = args[0]
                where = self.fds.get(first, "?") if isinstance(first, int) else str(first)
                if name == "replace":
                    where = f"{args[0]} -> {args[1]}"
                self.calls.append((name, where))
                if name in self.fail:
                    raise self.fail.pop(name)
                result = real(*args)
                if name == "open":
                    self.fds[result] = str(first)
                return result

            return call

        return FileOps(
            open=wrap("open", os.open),
            write=wrap("write", os.write),
            writev=wrap("writev", os.writev),
            fsync=wrap("fsync", os.fsync),
            close=wrap("close", os.close),
            replace=wrap("replace", os.replace),
            unlink=wrap("unlink", os.unlink),
        )


def make_legacy(data_dir: Path) -> dict[str, Any]:
    """Turn a closed data directory into what builds before the alert log's own file left:
    ``registry.json`` at schema 1 holding the ``alerts`` table, no ``alerts.json``. Returns
    the legacy registry document."""
    registry, alerts = data_dir / "registry.json", data_dir / "alerts.json"
    doc = json.loads(registry.read_bytes())
    doc["_meta"]["1"]["schema"] = 1
    doc["alerts"] = json.loads(alerts.read_bytes())["alerts"]
    registry.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    alerts.unlink()
    (data_dir / "alerts.jsonl").unlink(missing_ok=True)  # the journal came later still
    return doc


def read_json(path: Path) -> Any:
    return json.loads(path.read_bytes())

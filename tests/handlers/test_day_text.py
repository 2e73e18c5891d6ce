"""The one helper that writes a date without its weekday to people (issue 12): 年月日 in
Chinese, ISO-like in English, and the import preview's readings written the same way."""

from __future__ import annotations

from datetime import date

from handlers.excel_text import reading_text
from handlers.render import day_text
from locales import Catalog

CATALOG = Catalog.load()


def test_a_day_is_written_in_each_languages_own_form() -> None:
    assert day_text(CATALOG, "zh-CN", date(2026, 3, 2)) == "2026年3月2日"
    assert day_text(CATALOG, "en", date(2026, 3, 2)) == "2026-03-02"
    assert day_text(CATALOG, "zh-hans", date(2026, 12, 31)) == "2026年12月31日"


def test_a_reading_shows_its_date_as_the_reply_does() -> None:
    assert reading_text(CATALOG, "zh-CN", "12月底前 → 2026-12-31") == "12月底前 → 2026年12月31日"
    assert reading_text(CATALOG, "en", "12月底前 → 2026-12-31") == "12月底前 → 2026-12-31"
    # nothing to rewrite: a reading without a date after the arrow is shown as it is
    assert reading_text(CATALOG, "zh-CN", "长期坚持") == "长期坚持"
    assert reading_text(CATALOG, "zh-CN", "a → b") == "a → b"

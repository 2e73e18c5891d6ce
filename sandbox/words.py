"""The console's words (``locales/*/sandbox.toml``) as plain text, and its language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from config import Config
from ledger.model import Role
from locales import Catalog

if TYPE_CHECKING:
    from sandbox.personas import Persona

__all__ = ["Words", "console_language"]


class Words:
    """The console's words in its language (``locales/*/sandbox.toml``), as plain text."""

    def __init__(self, catalog: Catalog, lang: str) -> None:
        self.catalog = catalog
        self.lang = lang

    def __call__(self, key: str, **params: Any) -> str:
        return self.catalog.plain(self.lang, f"sandbox.{key}", **params)

    def core(self, key: str, **params: Any) -> str:
        """A word shared with the bot (``role.contact``, ``light.red`` …)."""
        return self.catalog.plain(self.lang, key, **params)

    def role_words(self) -> dict[str, Role]:
        """What ``/as`` accepts for each role: its name (``contact``) and the words of every
        language (``sandbox.as_<role>``: 联络员 …), lower-cased."""
        found = {str(role): role for role in Role}
        for lang in self.catalog.messages:
            for role in Role:
                for word in self.catalog.plain(lang, f"sandbox.as_{role}").split():
                    found[word.lower()] = role
        return found

    def confirms(self, answer: str) -> bool:
        """Is ``answer`` a "yes" in any language (``sandbox.confirm``)?"""
        words = {
            w.lower()
            for lang in self.catalog.messages
            for w in self.catalog.plain(lang, "sandbox.confirm").split()
        }
        return answer.strip().lower() in words

    def persona(self, p: Persona) -> str:
        """How the prompt names a persona: 巡察组 / HZ 联络员 / 访客 424242."""
        if p.role is None:
            return self("stranger", id=p.user_id)
        if p.role is Role.INSPECTOR:
            return self.core("role.inspector")
        return self("persona_unit", unit=p.unit, role=self.core(f"role.{p.role}"))

    def time(self, moment: datetime, tz: tzinfo) -> str:
        """``2026-03-02 09:00 周一 (Asia/Shanghai)``."""
        local = moment.astimezone(tz)
        weekday = self("weekdays").split()[local.weekday()]
        return f"{local:%Y-%m-%d %H:%M} {weekday} ({tz})"

    def duration(self, delta: timedelta) -> str:
        """``+3 天 2 小时`` — the non-zero parts, whole minutes."""
        sign = "-" if delta < timedelta(0) else "+"
        minutes = int(abs(delta).total_seconds() // 60)
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        parts = [
            self(key, n=n) for key, n in (("days", days), ("hours", hours), ("minutes", minutes))
        ]
        shown = [p for p, n in zip(parts, (days, hours, minutes), strict=True) if n]
        return sign + " ".join(shown or parts[-1:])


def console_language(config: Config, env: Mapping[str, str]) -> str:
    """The configured language; with ``auto``, the terminal's (``LANG``), else zh-CN."""
    if config.bot.language != "auto":
        return config.bot.language
    locale = env.get("LC_ALL") or env.get("LC_MESSAGES") or env.get("LANG") or ""
    return "en" if locale.lower().startswith("en") else "zh-CN"

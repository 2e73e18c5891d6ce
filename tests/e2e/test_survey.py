"""满意度测评 through the emulator: an inspector opens a survey, staff answer through the deep
link (buttons, an optional comment), nobody answers twice, answers are stored anonymously,
the unit's own people see no individual answers, and the survey closes at its time."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

from openpyxl import load_workbook

from ledger.model import Status
from sandbox.users import EmulatedUser
from storage.paper import PaperStore
from tests.e2e.harness import BotUnderTest
from tests.e2e.seed import seed_item

LINK = re.compile(r"start=(sv-HZ-[A-Za-z0-9_-]{22})")


def seed_hz(bot: BotUnderTest) -> None:
    bot.add_unit("HZ", "杭州市局党组")
    now = bot.clock.now()
    seed_item(bot.store, "HZ", now=now, category="党的建设", status=Status.CLOSED)
    seed_item(bot.store, "HZ", now=now, category="选人用人", status=Status.IN_PROGRESS)
    seed_item(bot.store, "HZ", now=now, category="党的建设")


async def open_survey(bot: BotUnderTest, args: str = "") -> str:
    """/survey HZ as the inspector; the link's payload."""
    inspector = bot.inspector()
    await inspector.send(f"/survey HZ {args}".strip())
    reply = await inspector.next_reply()
    match = LINK.search(reply.text)
    assert match is not None, reply.text
    assert "党的建设、选人用人" in reply.text
    return match[1]


async def answer(user: EmulatedUser, payload: str, choices: list[str], comment: str = "") -> str:
    """Open the link, press the choices, submit (with ``comment`` typed if given)."""
    await user.send(f"/start {payload}")
    message = await user.next_reply()
    assert "（1/2）" in message.text and "党的建设" in message.text, message.text
    for choice in choices:
        await user.press(message, choice)
        message = await user.next_edit()
        await user.next_answer()
    assert "您的选择" in message.text
    if comment:
        await user.press(message, "✍️ 写意见建议后提交")
        await user.next_edit()
        await user.next_answer()
        await user.send(comment)
        return (await user.next_reply()).text
    await user.press(message, "✅ 提交")
    done = await user.next_edit()
    await user.next_answer()
    return done.text


async def test_staff_answer_once_anonymously_and_the_survey_closes(bot: BotUnderTest) -> None:
    seed_hz(bot)
    payload = await open_survey(bot)
    staff_a = bot.user(5_123_456_701, "职工甲")
    staff_b = bot.user(5_123_456_702, "职工乙")

    assert "感谢" in await answer(staff_a, payload, ["满意", "不满意"])
    assert "感谢" in await answer(staff_b, payload, ["基本满意", "满意"], "希望继续加强<监督>")

    # Nobody answers twice: the link again, and the old 提交 button pressed again.
    await staff_a.send(f"/start {payload}")
    assert "已参加过" in (await staff_a.next_reply()).text
    old = next(m for m in staff_a.messages.values() if "感谢" in m.text)
    survey = PaperStore(bot.store.registry).surveys("HZ")[0]
    forged = f"sv:HZ:{survey.token}:x11:ok"
    await staff_a.forge_callback(old, forged)
    await staff_a.next_answer()
    assert "已参加过" in (await staff_a.next_edit()).text
    survey = PaperStore(bot.store.registry).surveys("HZ")[0]
    assert len(survey.responses) == 2
    assert sorted(r.comment for r in survey.responses) == ["", "希望继续加强<监督>"]

    # Anonymous: neither user id nor name is stored with the survey.
    stored = json.dumps(bot.store.registry.get_meta("survey:HZ"), ensure_ascii=False)
    for secret in ("5123456701", "5123456702", "职工甲", "职工乙"):
        assert not re.search(rf"\b{secret}\b", stored), secret
    assert all(re.fullmatch(r"[0-9a-f]{64}", r.voter) for r in survey.responses)

    # The unit's own contact and leader cannot open or read the survey.
    for person in (bot.contact("HZ"), bot.leader("HZ")):
        await person.send("/survey HZ")
        text = (await person.next_reply()).text
        assert "希望继续加强" not in text and "sv-HZ" not in text

    # The inspector sees the counts while it runs, and /unit the results with the comments.
    inspector = bot.inspector()
    await inspector.send("/survey HZ")
    assert "已收到答卷：2 份" in (await inspector.next_reply()).text
    await inspector.send("/unit HZ")
    shown = (await inspector.next_reply()).text
    assert "满意度测评（进行中" in shown and "答卷 2 份" in shown, shown
    assert "满意率 75.0%" in shown  # 3 of 4 answers 满意 or 基本满意
    assert "党的建设：满意 1、基本满意 1、不满意 0，满意率 100.0%" in shown
    assert "“希望继续加强<监督>”" in shown

    # The unit's own /stats has the result but no individual answer.
    contact = bot.contact("HZ")
    await contact.send("/stats")
    caption = (await contact.next_reply(timeout=20)).text
    assert "满意度测评" in caption and "满意率 75.0%" in caption, caption
    assert "希望继续加强" not in caption
    await contact.send("/export")
    exported = await contact.next_reply(timeout=20)
    assert exported.document is not None and exported.document.content is not None
    sheet = load_workbook(io.BytesIO(exported.document.content))["回头看与满意度测评"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[1][:7] == [
        "杭州市局党组（HZ）",
        "2026年3月2日至2026年3月15日",
        2,
        2,
        1,
        1,
        "75.0%",
    ]
    assert "希望继续加强" not in str(rows)

    # Closed at the end of the 14th day (default): no more answers, by link or by button.
    bot.advance(timedelta(days=14))
    late = bot.user(5003, "职工丙")
    await late.send(f"/start {payload}")
    assert "已经结束" in (await late.next_reply()).text
    await late.forge_callback(old, f"sv:HZ:{survey.token}:x12:ok")
    assert "已经结束" in ((await late.next_answer()).text or "")
    assert len(PaperStore(bot.store.registry).surveys("HZ")[0].responses) == 2
    bot.check_clean()


async def test_a_closing_date_can_be_given_and_moved(bot: BotUnderTest) -> None:
    seed_hz(bot)
    await open_survey(bot, "2026-03-05")
    survey = PaperStore(bot.store.registry).surveys("HZ")[0]
    assert survey.closes_at.isoformat() == "2026-03-06T00:00:00+08:00"
    inspector = bot.inspector()
    await inspector.send("/survey HZ 2026-03-10")
    assert "截止时间已调整" in (await inspector.next_reply()).text
    survey = PaperStore(bot.store.registry).surveys("HZ")[0]
    assert survey.closes_at.isoformat() == "2026-03-11T00:00:00+08:00"
    await inspector.send("/survey HZ 2026-02-01")  # in the past: refused, nothing changes
    assert "不能早于今天" in (await inspector.next_reply()).text
    assert PaperStore(bot.store.registry).surveys("HZ")[0] == survey
    await inspector.send("/survey ZZ")
    assert "ZZ" in (await inspector.next_reply()).text
    assert PaperStore(bot.store.registry).surveys("ZZ") == []
    bot.check_clean()


async def test_forged_and_stale_survey_data_changes_nothing(bot: BotUnderTest) -> None:
    seed_hz(bot)
    payload = await open_survey(bot)
    survey = PaperStore(bot.store.registry).surveys("HZ")[0]
    staff = bot.user(5001, "职工甲")
    await staff.send(f"/start {payload}")
    first = await staff.next_reply()
    token = survey.token
    for data in (
        f"sv:HZ:{token}:x9",  # not a choice
        f"sv:HZ:{token}:x111",  # more answers than categories
        f"sv:HZ:{token}:x1:ok",  # submit before every category is answered
        f"sv:HZ:{'B' * 22}:x11:ok",  # no such survey
        f"sv:NB:{token}:x11:ok",  # another unit
        f"sv:HZ:{token}:x11:zz",
    ):
        await staff.forge_callback(first, data)
        toast = await staff.next_answer()
        assert toast.text, data
    assert PaperStore(bot.store.registry).surveys("HZ")[0].responses == ()
    # A bad link payload is an (invalid) invitation as before.
    await staff.send(f"/start sv-HZ-{'C' * 22}")
    assert "邀请链接无效" in (await staff.next_reply()).text
    bot.check_clean()

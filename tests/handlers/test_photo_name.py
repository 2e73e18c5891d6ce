"""A photo keeps the name its sender gave it in the caption (issue 12: photos lost theirs)."""

from __future__ import annotations

import pytest

from handlers.evidence import PHOTO_NAME_MAX, photo_name

STAMP = "20261204_143000"


@pytest.mark.parametrize(
    ("caption", "name"),
    [
        ("HZ-003 整改前现场照片", "整改前现场照片_20261204_143000.jpg"),
        ("ｈｚ－３ 签到表", "签到表_20261204_143000.jpg"),
        ("这是HZ-003的会议纪要", "这是HZ-003的会议纪要_20261204_143000.jpg"),
        ("HZ-003", "photo_20261204_143000.jpg"),
        ("", "photo_20261204_143000.jpg"),
        (None, "photo_20261204_143000.jpg"),
        ("HZ-003 ../../etc/passwd", "etcpasswd_20261204_143000.jpg"),
        ("HZ-003 \u202ejpg.exe\n第二行", "jpgexe第二行_20261204_143000.jpg"),
    ],
)
def test_a_photo_is_named_by_its_caption(caption: str | None, name: str) -> None:
    assert photo_name(caption, STAMP) == name


def test_a_long_caption_is_clipped() -> None:
    name = photo_name("HZ-003 " + "长" * 500, STAMP)
    assert name == "长" * PHOTO_NAME_MAX + f"_{STAMP}.jpg"

"""Both catalogs are complete and agree; rendering escapes every parameter (R24)."""

from __future__ import annotations

from locales import LANGUAGES, Catalog, Html, placeholders


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    catalog = Catalog.load()
    zh, en = catalog.messages["zh-CN"], catalog.messages["en"]
    assert set(zh) == set(en), sorted(set(zh) ^ set(en))
    mismatched = [k for k in zh if placeholders(zh[k]) != placeholders(en[k])]
    assert mismatched == []
    for lang in LANGUAGES:
        assert all(text.strip() for text in catalog.messages[lang].values()), lang


def test_parameters_are_escaped_but_html_passes() -> None:
    catalog = Catalog.load()
    out = catalog.t("zh-CN", "error.unknown_item", item_id="<b>A&B</b>")
    assert "&lt;b&gt;A&amp;B&lt;/b&gt;" in out
    assert catalog.t("en", "error.unknown_item", item_id=Html("<b>X</b>")).count("<b>") == 1


def test_language_normalisation_and_fallback() -> None:
    catalog = Catalog.load()
    assert catalog.normalise("en-GB") == "en"
    assert catalog.normalise("zh-hans") == "zh-CN"
    assert catalog.normalise("fr") == "zh-CN"
    assert catalog.normalise(None) == "zh-CN"
    assert catalog.plain("en", "status.closed") == "Closed"

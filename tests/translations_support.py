"""What the tests of tools/translations.py and tools/catalog_lint.py share: a docs/ tree of
their own in which `translations` looks for the editions, the templates and the catalogs."""

from tools import translations


def docs_tree(tmp_path, monkeypatch, editions):
    """tmp_path made a book: docs/editions.toml saying `editions`, an empty gettext/ templates
    folder and a locales/ folder, where `translations` reads them. The templates folder."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "editions.toml").write_text(editions, "utf-8")
    templates = tmp_path / "gettext"
    templates.mkdir()
    monkeypatch.setattr(translations, "ROOT", tmp_path)
    monkeypatch.setattr(translations, "TEMPLATES", templates)
    monkeypatch.setattr(translations, "LOCALES", tmp_path / "locales")
    return templates

"""Sphinx configuration for 《Tornado 入门：现代注释版》."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

language = "zh_CN"  # the source; other editions are built with --define=language=<code>
# Settings that differ per edition; docs/_ext/book.py applies the ones for the edition built.
book_per_language = {
    "zh_CN": {
        "project": "Tornado 入门：现代注释版",
        "author": "《Tornado 入门：现代注释版》的作者们",
        "copyright": "2026，本书作者们。正文以 CC BY-SA 4.0 许可，代码以 MIT 许可",
        "html_search_language": "zh",
    },
    "en": {
        "project": "Getting Started with Tornado: A Modern Annotated Edition",
        "author": "the authors of Getting Started with Tornado",
        "copyright": "2026, the book's authors. Text under CC BY-SA 4.0, code under MIT",
        "html_search_language": "en",
    },
}
project = book_per_language[language]["project"]
author = book_per_language[language]["author"]
copyright = book_per_language[language]["copyright"]  # noqa: A001
release = "Tornado 6.6"

extensions = ["myst_parser", "sphinx_copybutton", "book"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "locales", "README.md"]

locale_dirs = ["locales/"]
gettext_compact = False
gettext_uuid = False
gettext_location = False

html_theme = "furo"
templates_path = ["_templates"]
html_static_path = ["_static"]
html_sidebars = {
    "**": [
        "sidebar/brand.html",
        "sidebar/search.html",
        "sidebar/languages.html",
        "sidebar/scroll-start.html",
        "sidebar/navigation.html",
        "sidebar/scroll-end.html",
    ]
}
html_css_files = ["book.css"]

copybutton_prompt_text = r"\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_remove_prompts = True

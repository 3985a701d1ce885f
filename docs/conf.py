"""Sphinx configuration for 《Tornado 入门：现代注释版》."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "Tornado 入门：现代注释版"
author = "《Tornado 入门：现代注释版》的作者们"
copyright = "2026，本书作者们。正文以 CC BY-SA 4.0 许可，代码以 MIT 许可"  # noqa: A001
language = "zh_CN"
release = "Tornado 6.6"

extensions = ["myst_parser", "sphinx_copybutton", "book"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "locales", "README.md"]

locale_dirs = ["locales/"]
gettext_compact = False
gettext_uuid = False

html_theme = "furo"
html_title = project
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_search_language = "zh"

copybutton_prompt_text = r"\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_remove_prompts = True

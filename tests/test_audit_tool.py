"""tools/audit.py (`nox -s audit`): how deep each page is, counted as a reader reads it."""

import subprocess
import sys
from pathlib import Path

from tools import audit

ROOT = Path(__file__).resolve().parents[1]
PAGE = """\
# 第一章

一段正文，`代码不算`，[链接算](x.md)。

```python
print("代码块不算")
```

```{literalinclude} ../examples/ch01/hello.py
:caption: 选项不算
```

```{literalinclude} ../examples/ch01/hello.console
```

```{modern} 6.0
注释算。
```

````{container} optional
```{rubric} 选读
```
容器算
````

```{graphviz}
digraph { a [label="图不算"] }
```
"""


def test_prose_is_counted_and_code_is_not():
    counts = audit.measure(PAGE)
    counted = "第一章" + "一段正文" + "链接算" + "注释算" + "选读" + "容器算"
    assert counts == {"han": len(counted), "listings": 1, "sessions": 1, "modern": 1}


def test_every_page_gets_a_line_and_a_total():
    done = subprocess.run(
        [sys.executable, "tools/audit.py"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    names = [line.split()[0] for line in done.stdout.splitlines()]
    assert names == ["page", *sorted(p.name for p in (ROOT / "docs").glob("*.md")), "total"]
    total = done.stdout.splitlines()[-1].split()
    assert int(total[1]) > 100_000  # the book has well over 100,000 Han characters of prose

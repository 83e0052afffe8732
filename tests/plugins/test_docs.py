"""docs/plugins.md documents every hook, and its complete example plugin really works."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from cnnstudio.host.manager import StudioPluginManager

REPO = Path(__file__).resolve().parents[2]
DOCS = (REPO / "docs" / "plugins.md").read_text()


def hookspec_names() -> list[str]:
    tree = ast.parse((REPO / "cnnstudio" / "host" / "hookspecs.py").read_text())
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]


def test_every_hookspec_has_its_own_section_in_the_plugin_docs():
    names = hookspec_names()
    assert len(names) == 5
    headings = set(re.findall(r"^## (\S+)\s*$", DOCS, flags=re.MULTILINE))
    assert [name for name in names if name not in headings] == []


def test_complete_example_plugin_from_the_docs_loads_and_builds_an_imageset(tmp_path):
    section = DOCS.split("## A complete dataset plugin", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL).group(1)
    assert 20 <= len(code.splitlines()) <= 60
    (tmp_path / "two_stripes.py").write_text(code)
    manager = StudioPluginManager(builtins=False, entry_points=False, folders=[tmp_path])
    assert manager.failures == []
    spec = manager.dataset("demo.two_stripes")
    images = spec.load(spec.resolve_options({"count": 6, "size": 16}))
    assert tuple(images.images.shape) == (6, 3, 16, 16)
    assert images.class_names == ["horizontal", "vertical"]
    assert images.labels.tolist() == [0, 1, 0, 1, 0, 1]
    # horizontal stripes vary down the rows, vertical ones across the columns
    first, second = images.images[0].float(), images.images[1].float()
    assert first.mean(dim=(0, 2)).std() > first.mean(dim=(0, 1)).std()
    assert second.mean(dim=(0, 1)).std() > second.mean(dim=(0, 2)).std()

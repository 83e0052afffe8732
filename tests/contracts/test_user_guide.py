"""The user guide documents every config field (so docs cannot silently lag the code)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from cnnstudio.core.config import RunConfig

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "user-guide.md"
SECTIONS = {"dataset", "model", "head", "training"}


def config_field_names() -> list[str]:
    names = []
    defaults = RunConfig()
    for field in fields(RunConfig):
        if field.name in SECTIONS:
            names += [f"{field.name}.{inner.name}" for inner in fields(getattr(defaults, field.name))]
        else:
            names.append(field.name)
    return names


def test_user_guide_documents_every_config_field():
    text = GUIDE.read_text(encoding="utf-8")
    missing = [name for name in config_field_names() if f"| `{name}` |" not in text]
    assert not missing, f"docs/user-guide.md lacks rows for: {missing}"

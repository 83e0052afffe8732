"""Plugins installed as distributions are found through the ``cnnstudio`` entry-point group."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cnnstudio.host.manager import StudioPluginManager

PLUGIN = '''
from cnnstudio.plugin_api import DatasetSpec, hookimpl


@hookimpl
def cnnstudio_datasets():
    return [DatasetSpec(id="acme.bolts", title="Bolts", domain="Manufacturing",
                        description="Bolts.", load=lambda options: None)]
'''


@pytest.fixture
def installed_distribution(tmp_path: Path, monkeypatch) -> Path:
    """A real distribution on disk (module + *.dist-info) on sys.path."""
    site = tmp_path / "site"
    dist_info = site / "acme_studio_plugins-1.4.2.dist-info"
    dist_info.mkdir(parents=True)
    (site / "acme_bolts_plugin.py").write_text(PLUGIN)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-studio-plugins\nVersion: 1.4.2\n")
    (dist_info / "entry_points.txt").write_text(
        "[cnnstudio]\nbolts = acme_bolts_plugin\nbroken = acme_missing_module_xyz\n"
        "\n[console_scripts]\nacme = acme_bolts_plugin:main\n"
    )
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("acme_bolts_plugin", None)


def test_entry_point_plugin_loads_with_version_from_metadata(installed_distribution):
    manager = StudioPluginManager(builtins=False, folders=[])
    record = next(r for r in manager.plugins if r.name == "bolts")
    assert record.origin == "entry point"
    assert record.version == "1.4.2"
    assert "acme_bolts_plugin" in record.location and "acme-studio-plugins" in record.location
    assert manager.dataset("acme.bolts").domain == "Manufacturing"


def test_failing_entry_point_is_recorded_and_others_still_load(installed_distribution):
    manager = StudioPluginManager(builtins=False, folders=[])
    [failure] = [f for f in manager.failures if f.plugin == "broken"]
    assert failure.origin == "entry point" and failure.hook == "import"
    assert failure.message.startswith("ModuleNotFoundError") and "acme_missing_module_xyz" in failure.message
    assert "Traceback" in failure.traceback
    assert "acme.bolts" in manager.datasets()


def test_disable_env_skips_entry_points(installed_distribution, monkeypatch):
    monkeypatch.setenv("CNNSTUDIO_DISABLE_PLUGINS", "1")
    manager = StudioPluginManager(builtins=False)
    assert [r.name for r in manager.plugins] == ["cnnstudio"] and manager.failures == []

"""The plugin manager survives broken plugins and keeps everything else working."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnnstudio.core.errors import CNNStudioError, ConfigError, DatasetError
from cnnstudio.core.events import EpochEnded
from cnnstudio.host.manager import StudioPluginManager, bundled_plugins_dir

REPO = Path(__file__).resolve().parents[2]


def failures_of(manager: StudioPluginManager, plugin: str) -> list:
    return [f for f in manager.failures if f.plugin == plugin]


def test_good_folder_plugin_dataset_loads_despite_broken_neighbours(manager):
    record = next(r for r in manager.plugins if r.name == "good")
    assert (record.origin, record.version) == ("folder", "2.5.0")
    assert record.location.endswith("good.py")
    assert record.datasets == ("fixture.squares",)
    assert record.heads == ("fixture.head",) and record.layouts and record.observer
    spec = manager.dataset("fixture.squares")
    images = spec.load(spec.resolve_options({"count": 4}))
    assert tuple(images.images.shape) == (4, 3, 8, 8)
    assert images.labels.tolist() == [0, 1, 0, 1]
    assert int(images.images[1, 0, 3, 3]) == 255


def test_import_errors_are_recorded_with_origin_location_and_traceback(manager, plugin_folder):
    for name, kind in (("import_error", "RuntimeError"), ("bad_syntax", "SyntaxError")):
        [failure] = failures_of(manager, name)
        assert failure.hook == "import"
        assert failure.origin == "folder"
        assert failure.location == str(plugin_folder / f"{name}.py")
        assert failure.message.startswith(kind) and "\n" not in failure.message
        assert "Traceback" in failure.traceback and f"{name}.py" in failure.traceback
        assert name not in {r.name for r in manager.plugins}
    assert "missing licence key" in failures_of(manager, "import_error")[0].message


def test_raising_hook_is_recorded_and_other_hooks_still_run(manager):
    [failure] = failures_of(manager, "raising_hook")
    assert failure.hook == "cnnstudio_datasets"
    assert failure.message == "ValueError: dataset catalogue is corrupt"
    assert "raising_hook.py" in failure.traceback
    assert "fixture.squares" in manager.datasets() and "other.unique" in manager.datasets()


def test_wrong_return_types_are_failures_and_valid_items_still_count(manager):
    messages = {f.hook: f.message for f in failures_of(manager, "wrong_type")}
    assert messages["cnnstudio_datasets"] == "returned dict, expected a list of DatasetSpec"
    assert "holding str" in messages["cnnstudio_heads"]
    assert manager.head("wrong_type.valid").title == "Still valid"


def test_duplicate_dataset_id_names_both_plugins_and_first_wins(manager):
    [failure] = failures_of(manager, "other_squares")
    assert "'fixture.squares'" in failure.message
    assert "'good'" in failure.message and "'other_squares'" in failure.message
    assert manager.dataset("fixture.squares").title == "Squares"
    assert manager.dataset("other.unique").title == "Unique"


def test_misspelled_and_undecorated_hooks_are_that_plugins_failures(manager):
    messages = {f.hook: f.message for f in failures_of(manager, "misspelled")}
    assert "did you mean cnnstudio_datasets" in messages["cnnstudio_dataset"]
    assert "not decorated with @hookimpl" in messages["cnnstudio_heads"]
    assert "misspelled" in {r.name for r in manager.plugins}


def test_plugin_without_hooks_is_listed_and_contributes_nothing(manager):
    record = next(r for r in manager.plugins if r.name == "empty")
    assert record.datasets == () and record.heads == () and not record.layouts
    assert failures_of(manager, "empty") == []


def test_emit_survives_a_raising_observer_and_records_it_once(manager):
    import sys

    event = EpochEnded(epoch=1, epochs=2, metrics={"loss": 0.5}, lr=0.01, images_per_s=100.0,
                       eta_s=1.0, seconds=1.0, is_best=True)
    manager.emit(event)
    manager.emit(event)
    [failure] = failures_of(manager, "raising_observer")
    assert failure.hook == "cnnstudio_on_event" and "webhook unreachable" in failure.message
    assert sys.modules["cnnstudio_user_plugins.good"].EVENTS == [event, event]


def test_builtins_are_present_next_to_broken_folder_plugins(manager):
    assert manager.plugins[0].name == "cnnstudio" and manager.plugins[0].origin == "internal"
    assert manager.head("classification").tasks == ("classification", "defect", "detection")
    found = {r.name for r in manager.plugins} | {f.plugin for f in manager.failures}
    bundled = [p.stem for p in bundled_plugins_dir().glob("*.py") if not p.name.startswith("_")]
    assert set(bundled) <= found
    origins = {r.name: r.origin for r in manager.plugins}
    assert all(origins.get(name, "builtin") == "builtin" for name in bundled)


def test_describe_is_json_ready_and_lists_failed_plugins(manager):
    entries = json.loads(json.dumps(manager.describe()))
    by_name = {entry["name"]: entry for entry in entries}
    assert by_name["good"]["status"] == "ok" and by_name["good"]["datasets"] == ["fixture.squares"]
    assert by_name["bad_syntax"]["status"] == "failed to load"
    assert by_name["raising_hook"]["status"] == "errors"
    assert by_name["raising_hook"]["failures"][0]["hook"] == "cnnstudio_datasets"


def test_unknown_dataset_and_missing_folder_errors_read_well(manager, tmp_path):
    with pytest.raises(DatasetError, match=r"unknown dataset 'nope'; known: .*fixture\.squares"):
        manager.dataset("nope")
    with pytest.raises(DatasetError, match="folder not found"):
        manager.dataset(str(tmp_path / "missing"))
    with pytest.raises(DatasetError, match="folder not found"):
        manager.dataset("./missing")
    with pytest.raises(ConfigError, match=r"head.id: unknown head 'nope'; known: classification"):
        manager.head("nope")


def test_open_folder_uses_the_first_plugin_that_claims_it(manager, tmp_path):
    (tmp_path / "SQUARES_LAYOUT").touch()
    spec = manager.dataset(str(tmp_path))
    assert spec.id == f"squares:{tmp_path}"
    assert spec.load(spec.resolve_options()).images.shape[0] == 4


def test_open_folder_nobody_claims_names_folder_and_layouts(manager, tmp_path):
    # Too deep for class folders; not flat either (a flat folder opens as "no labels yet": labelled_folders).
    (tmp_path / "scans" / "2024" / "march").mkdir(parents=True)
    (tmp_path / "scans" / "2024" / "march" / "IMG_0001.jpg").write_bytes(b"not decoded to decide")
    with pytest.raises(DatasetError) as caught:
        manager.open_folder(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path} holds images, but not in a layout CNN Studio reads")
    assert "one sub-folder per class" in message and "A well-behaved fixture plugin" in message
    assert isinstance(caught.value, CNNStudioError)


def test_open_folder_without_images_says_so_in_words(manager, tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("hello")
    with pytest.raises(DatasetError) as caught:
        manager.open_folder(tmp_path)
    assert str(caught.value).startswith(f"no images found in {tmp_path}")
    assert "plugin" not in str(caught.value)


def test_heads_for_task_filters_by_task(manager):
    defect_heads = {h.id for h in manager.heads_for_task("defect")}
    assert {"classification", "heatmap"} <= defect_heads and "fixture.head" not in defect_heads
    classification_heads = {h.id for h in manager.heads_for_task("classification")}
    assert {"classification", "fixture.head"} <= classification_heads and "heatmap" not in classification_heads


def test_disable_env_loads_only_internal_and_bundled(plugin_folder, monkeypatch):
    monkeypatch.setenv("CNNSTUDIO_PLUGIN_PATH", str(plugin_folder))
    assert "good" in {r.name for r in StudioPluginManager(entry_points=False).plugins}
    monkeypatch.setenv("CNNSTUDIO_DISABLE_PLUGINS", "1")
    disabled = StudioPluginManager()
    assert {r.origin for r in disabled.plugins} <= {"internal", "builtin"}
    assert all(f.origin in ("internal", "builtin") for f in disabled.failures)


def test_plugin_path_env_folder_missing_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNSTUDIO_PLUGIN_PATH", str(tmp_path / "nowhere"))
    failures = StudioPluginManager(builtins=False, entry_points=False).failures
    assert [f.message for f in failures] == [f"plugin folder not found: {tmp_path / 'nowhere'}"]


def test_folder_plugin_named_like_a_loaded_one_is_refused(tmp_path):
    (tmp_path / "cnnstudio.py").write_text("X = 1\n")
    manager = StudioPluginManager(builtins=False, entry_points=False, folders=[tmp_path])
    [failure] = manager.failures
    assert failure.origin == "folder" and "already loaded" in failure.message
    assert [r.name for r in manager.plugins] == ["cnnstudio"]


def test_bundled_order_follows_plugin_priority_then_name():
    import types

    from cnnstudio.host.discovery import bundled_sort_key

    modules = {name: types.ModuleType(name) for name in ("generic", "yolo", "aaa", "first", "mvtec")}
    modules["generic"].PLUGIN_PRIORITY = 100
    modules["aaa"].PLUGIN_PRIORITY = 80
    modules["first"].PLUGIN_PRIORITY = 10
    order = sorted(modules, key=lambda name: bundled_sort_key(name, modules[name]))
    assert order == ["first", "mvtec", "yolo", "aaa", "generic"]


def test_bundled_plugins_load_retail_first_and_class_folders_last():
    manager = StudioPluginManager(entry_points=False, folders=[])
    bundled = [record.name for record in manager.plugins if record.origin == "builtin"]
    assert bundled[0] == "retail" and bundled[-1] == "class_folders"


def test_package_folder_plugin_with_relative_import_loads(tmp_path):
    package = tmp_path / "acme_pack"
    package.mkdir()
    (package / "specs.py").write_text(
        "from cnnstudio.plugin_api import DatasetSpec\n"
        "SPEC = DatasetSpec(id='acme.pack', title='Pack', domain='Testing', description='.',"
        " load=lambda options: None)\n")
    (package / "__init__.py").write_text(
        "from cnnstudio.plugin_api import hookimpl\nfrom .specs import SPEC\n\n"
        "@hookimpl\ndef cnnstudio_datasets():\n    return [SPEC]\n")
    manager = StudioPluginManager(builtins=False, entry_points=False, folders=[tmp_path])
    assert manager.failures == []
    assert manager.dataset("acme.pack").title == "Pack"
    assert manager.plugins[-1].location == str(package)

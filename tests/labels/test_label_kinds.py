"""Label kinds: the built-in ones, the documents plugin's, broken plugins, and LabelKindSpec's checks."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from cnnstudio import plugin_api
from cnnstudio.core.labels.label_set import KINDS, check_class_name
from cnnstudio.core.specs import LABEL_SHAPES, LabelKindSpec
from cnnstudio.host.manager import BUILTIN_LABEL_KINDS, FOLDER_PACKAGE, StudioPluginManager

REPO = Path(__file__).resolve().parents[2]
BUILTIN_IDS = ["classes", "boxes", "masks"]

# Test plugins, loaded from a plugin folder in name order.
GOOD = '''
from cnnstudio.plugin_api import LabelKindSpec, hookimpl


@hookimpl
def cnnstudio_label_kinds():
    return [LabelKindSpec(id="good.weld_seam", title="Weld seam", kind="masks", classes=("crack",))]
'''
RAISING = '''
from cnnstudio.plugin_api import hookimpl


@hookimpl
def cnnstudio_label_kinds():
    raise RuntimeError("label catalogue is corrupt")
'''
WRONG_TYPE = '''
from cnnstudio.plugin_api import hookimpl


@hookimpl
def cnnstudio_label_kinds():
    return {"id": "not.a.spec"}
'''
WRONG_ITEM = '''
from cnnstudio.plugin_api import LabelKindSpec, hookimpl


@hookimpl
def cnnstudio_label_kinds():
    return ["a string", LabelKindSpec(id="wrong_item.valid", title="Still valid", kind="classes")]
'''
DUPLICATE = '''
from cnnstudio.plugin_api import LabelKindSpec, hookimpl


@hookimpl
def cnnstudio_label_kinds():
    return [
        LabelKindSpec(id="documents.signature_region", title="Another signature", kind="boxes"),
        LabelKindSpec(id="boxes", title="My boxes", kind="boxes"),
        LabelKindSpec(id="good.weld_seam", title="Copied seam", kind="masks"),
        LabelKindSpec(id="duplicate.unique", title="Unique", kind="boxes"),
    ]
'''
INVALID = '''
from cnnstudio.plugin_api import LabelKindSpec, hookimpl


@hookimpl
def cnnstudio_label_kinds():
    return [LabelKindSpec(id="invalid.polygon", title="Polygon", kind="polygons")]
'''
MISSPELT = '''
from cnnstudio.plugin_api import hookimpl


@hookimpl
def cnnstudio_label_kind():
    return []
'''
PLUGINS = {"a_good": GOOD, "b_raising": RAISING, "c_wrong_type": WRONG_TYPE, "d_wrong_item": WRONG_ITEM,
           "e_duplicate": DUPLICATE, "f_invalid": INVALID, "g_misspelt": MISSPELT}


@pytest.fixture(autouse=True)
def forget_folder_plugins():
    """Drop modules imported from plugin folders so no test sees another's."""
    yield
    for name in [n for n in sys.modules if n == FOLDER_PACKAGE or n.startswith(FOLDER_PACKAGE + ".")]:
        del sys.modules[name]


@pytest.fixture
def manager(tmp_path: Path) -> StudioPluginManager:
    """The built-ins (with the documents plugin) and a folder of label-kind plugins, good and broken."""
    for name, code in PLUGINS.items():
        (tmp_path / f"{name}.py").write_text(code)
    return StudioPluginManager(entry_points=False, folders=[tmp_path])


def failures_of(manager: StudioPluginManager, plugin: str) -> list[str]:
    return [f"{f.hook}: {f.message}" for f in manager.failures if f.plugin == plugin]


# ---- the manager's list ------------------------------------------------------------------


def test_builtin_kinds_come_first_then_the_documents_signature_region():
    manager = StudioPluginManager(entry_points=False, third_party=False)
    kinds = manager.label_kinds()
    assert [kind.id for kind in kinds] == [*BUILTIN_IDS, "documents.signature_region"]
    assert [kind.title for kind in kinds[:3]] == [
        "Classes (one per image)", "Boxes (objects in the image)", "Defect masks (paint the defect)"]
    assert [kind.kind for kind in kinds[:3]] == BUILTIN_IDS
    assert all(kind.hint for kind in kinds)
    assert "Balance the classes" in kinds[0].hint and "with G" in kinds[2].hint
    signature = kinds[3]
    assert (signature.title, signature.kind, signature.classes, signature.domain) == (
        "Signature region", "boxes", ("signature",), "Documents")
    assert "signature" in signature.hint.lower() and signature.aspect is None
    assert [f for f in manager.failures if f.hook == "cnnstudio_label_kinds"] == []


def test_label_kinds_is_a_fresh_list_each_time():
    manager = StudioPluginManager(entry_points=False, third_party=False)
    manager.label_kinds().clear()
    assert len(manager.label_kinds()) == 4


def test_broken_plugins_are_recorded_and_every_valid_kind_still_loads(manager):
    assert [kind.id for kind in manager.label_kinds()] == [
        *BUILTIN_IDS, "documents.signature_region", "good.weld_seam", "wrong_item.valid", "duplicate.unique"]
    assert failures_of(manager, "a_good") == []
    assert failures_of(manager, "b_raising") == ["cnnstudio_label_kinds: RuntimeError: label catalogue is corrupt"]
    assert failures_of(manager, "c_wrong_type") == [
        "cnnstudio_label_kinds: returned dict, expected a list of LabelKindSpec"]
    assert failures_of(manager, "d_wrong_item") == [
        "cnnstudio_label_kinds: returned a list holding str, expected a list of LabelKindSpec"]
    assert failures_of(manager, "f_invalid") == [
        "cnnstudio_label_kinds: ValueError: LabelKindSpec invalid.polygon: kind must be one of classes, boxes, "
        "masks; got 'polygons'"]
    [misspelt] = failures_of(manager, "g_misspelt")
    assert "did you mean cnnstudio_label_kinds" in misspelt


def test_duplicate_ids_keep_the_first_and_name_both_plugins(manager):
    documents, builtin, seam = failures_of(manager, "e_duplicate")
    assert documents == ("cnnstudio_label_kinds: label kind id 'documents.signature_region' from plugin "
                         "'e_duplicate' is already registered by plugin 'documents'; the one from 'documents' is used")
    assert "'boxes'" in builtin and "built-in label kind" in builtin and "built-in one is used" in builtin
    assert "'good.weld_seam'" in seam and "'a_good'" in seam
    by_id = {kind.id: kind for kind in manager.label_kinds()}
    assert by_id["documents.signature_region"].title == "Signature region"
    assert by_id["boxes"].title == "Boxes (objects in the image)"
    assert by_id["good.weld_seam"].title == "Weld seam"


def test_the_documents_plugin_record_has_no_failures(manager):
    assert failures_of(manager, "documents") == []


# ---- LabelKindSpec -----------------------------------------------------------------------


def test_plugin_api_exports_label_kind_spec():
    assert plugin_api.LabelKindSpec is LabelKindSpec and "LabelKindSpec" in plugin_api.__all__


def test_label_shapes_are_the_label_sets_kinds():
    assert LABEL_SHAPES == KINDS
    assert [kind.kind for kind in BUILTIN_LABEL_KINDS] == list(KINDS)


def test_a_full_spec_keeps_its_fields_and_lists_become_tuples():
    spec = LabelKindSpec(id="acme.tag", title="Tag", kind="boxes", classes=["tag", "offer"],  # type: ignore[arg-type]
                         hint="Box tags.", domain="Retail", aspect=2.0)
    assert spec.classes == ("tag", "offer") and spec.aspect == 2.0 and spec.brush_size is None
    assert LabelKindSpec(id="acme.seam", title="Seam", kind="masks", brush_size=6).brush_size == 6


@pytest.mark.parametrize(("fields", "message"), [
    (dict(id=""), "LabelKindSpec.id must be a non-empty string, got ''"),
    (dict(id=None), "LabelKindSpec.id must be a non-empty string, got None"),
    (dict(title=" "), "LabelKindSpec acme.x: title must be a non-empty string, got ' '"),
    (dict(kind="polygons"), "LabelKindSpec acme.x: kind must be one of classes, boxes, masks; got 'polygons'"),
    (dict(classes="signature"),
     "LabelKindSpec acme.x: classes must be a tuple of class names such as (\"signature\",), got 'signature'"),
    (dict(classes=("ok", 3)), "LabelKindSpec acme.x: each class must be a non-empty string without spaces around "
                              "it, got 3"),
    (dict(classes=(" ok",)), "each class must be a non-empty string without spaces around it, got ' ok'"),
    (dict(classes=("a/b",)), "LabelKindSpec acme.x: 'a/b' cannot be a class name: it becomes a folder name"),
    (dict(classes=(".hidden",)), "'.hidden' cannot be a class name"),
    (dict(classes=("tag", "offer", "tag")), "LabelKindSpec acme.x: class 'tag' is listed twice"),
    (dict(hint=None), "LabelKindSpec acme.x: hint must be a string, got None"),
    (dict(domain=3), "LabelKindSpec acme.x: domain must be a string, got 3"),
    (dict(kind="masks", aspect=2.0), "LabelKindSpec acme.x: aspect applies to box tools only (kind 'boxes'), "
                                     "not 'masks'"),
    (dict(aspect=0), "LabelKindSpec acme.x: aspect (width / height) must be a positive number or None, got 0"),
    (dict(aspect=float("inf")), "aspect (width / height) must be a positive number or None, got inf"),
    (dict(aspect="wide"), "aspect (width / height) must be a positive number or None, got 'wide'"),
    (dict(aspect=True), "aspect (width / height) must be a positive number or None, got True"),
    (dict(brush_size=5), "LabelKindSpec acme.x: brush_size applies to mask tools only (kind 'masks'), not 'boxes'"),
    (dict(kind="masks", brush_size=0),
     "LabelKindSpec acme.x: brush_size must be a whole number of pixels >= 1 or None, got 0"),
    (dict(kind="masks", brush_size=2.5), "brush_size must be a whole number of pixels >= 1 or None, got 2.5"),
])
def test_invalid_fields_are_refused_with_a_message_naming_kind_and_field(fields, message):
    given = dict(id="acme.x", title="X", kind="boxes") | fields
    with pytest.raises(ValueError, match=re.escape(message)):
        LabelKindSpec(**given)


@pytest.mark.parametrize("name", ["signature", "a/b", "a\\b", "x:y", "star*", "why?", 'say"', "<a>", "a|b", ".dot"])
def test_class_names_follow_the_label_sets_rule(name):
    try:
        check_class_name(name)
        label_set_accepts = True
    except ValueError:
        label_set_accepts = False
    try:
        LabelKindSpec(id="acme.x", title="X", kind="classes", classes=(name,))
        spec_accepts = True
    except ValueError:
        spec_accepts = False
    assert spec_accepts == label_set_accepts


# ---- the plugin docs ---------------------------------------------------------------------


def test_label_kind_example_in_the_plugin_docs_loads(tmp_path):
    docs = (REPO / "docs" / "plugins.md").read_text()
    section = docs.split("## Add a label kind", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL).group(1)
    (tmp_path / "shelf_labels.py").write_text(code)
    manager = StudioPluginManager(builtins=False, entry_points=False, folders=[tmp_path])
    assert manager.failures == []
    kinds = manager.label_kinds()
    assert [kind.id for kind in kinds] == [*BUILTIN_IDS, "demo.price_tag", "demo.torn_packaging"]
    assert kinds[3].aspect == 2.0 and kinds[4].brush_size == 6
    for field in ("id", "title", "kind", "classes", "hint", "domain", "aspect", "brush_size"):
        assert f"| `{field}` |" in section

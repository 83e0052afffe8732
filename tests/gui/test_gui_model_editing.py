"""The Model tab: presets change the summary, the conv-layer editor edits the config, advice sits by its setting."""

from __future__ import annotations

from gui_model_helpers import choose, shown_model_view, type_into, wait_for_summary
from PySide6.QtCore import QPoint, Qt

from cnnstudio.core.model.presets import preset
from cnnstudio.core.model.summary import summarize
from cnnstudio.gui.tabs.model.summary_table import format_count


def _expect_preset_summary(qtbot, view, name):
    expected = summarize(preset(name)[0], view.num_classes())
    qtbot.waitUntil(lambda: view.summary_table.layer_rows == len(expected.rows)
                    and view.summary_table.cell_text(view.summary_table.rowCount() - 1, "Parameters")
                    == format_count(expected.total_params), timeout=30_000)
    return expected


def test_gui_model_preset_changes_summary_rows_and_parameters(qtbot, controller):
    view = shown_model_view(qtbot, controller)
    choose(qtbot, view.form.preset_combo, "seed")
    seed = _expect_preset_summary(qtbot, view, "seed")
    assert controller.config.model == preset("seed")[0]
    assert controller.config.training.lr == 0.001  # the preset's training recipe came along
    assert "SimpleCNN" in view.form.preset_description.text()

    choose(qtbot, view.form.preset_combo, "seed-3conv")
    three = _expect_preset_summary(qtbot, view, "seed-3conv")
    assert len(three.rows) != len(seed.rows) and three.total_params != seed.total_params
    assert [layer.out_channels for layer in view.form.conv_editor.layers] == [8, 16, 32]
    assert view.form.conv_editor.table.rowCount() == 3
    names = [view.summary_table.cell_text(r, "Layer") for r in range(view.summary_table.rowCount())]
    assert names[0] == "input" and names[-1] == "total" and "conv3" in names


def test_gui_model_conv_editor_adds_removes_and_reorders_layers(qtbot, controller):
    view = shown_model_view(qtbot, controller)
    choose(qtbot, view.form.preset_combo, "seed")
    editor = view.form.conv_editor

    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    assert [layer.out_channels for layer in controller.config.model.conv_layers] == [8, 16, 16]
    assert "Edited" in view.form.preset_edited.text()

    type_into(qtbot, editor.cell(2, "Filters"), "24")
    assert controller.config.model.conv_layers[2].out_channels == 24
    qtbot.mouseClick(editor.cell(2, "Pool after"), Qt.MouseButton.LeftButton)
    assert controller.config.model.conv_layers[2].pool is True

    editor.select_row(0)
    qtbot.mouseClick(editor.down_button, Qt.MouseButton.LeftButton)
    assert [layer.out_channels for layer in controller.config.model.conv_layers] == [16, 8, 24]
    assert editor.selected_row() == 1
    qtbot.mouseClick(editor.up_button, Qt.MouseButton.LeftButton)
    assert [layer.out_channels for layer in controller.config.model.conv_layers] == [8, 16, 24]

    editor.select_row(1)
    qtbot.mouseClick(editor.remove_button, Qt.MouseButton.LeftButton)
    assert [layer.out_channels for layer in controller.config.model.conv_layers] == [8, 24]
    wait_for_summary(qtbot, view)
    qtbot.waitUntil(lambda: view.summary_table.summary.rows[0].output_shape[0] == 8
                    and "conv2" in [r.name for r in view.summary_table.summary.rows]
                    and "conv3" not in [r.name for r in view.summary_table.summary.rows])


def test_gui_model_flattening_a_big_map_warns_next_to_global_pool(qtbot, controller):
    view = shown_model_view(qtbot, controller)
    assert controller.config.model.global_pool == "max"
    assert not view.form.notes["global_pool"].isVisible()
    type_into(qtbot, view.form.input_size_spin, "128")  # 32 x 16 x 16 = 8,192 values once flattened

    choose(qtbot, view.form.global_pool_combo, "none")
    assert controller.config.model.global_pool == "none"
    note = view.form.notes["global_pool"]
    qtbot.waitUntil(lambda: note.isVisible(), timeout=30_000)
    assert "flattening too early" in note.text and note.severity == "warning"
    assert any(a.code == "large_flatten" and a.field == "model.global_pool" for a in view.advice)
    assert not view.form.notes["normalize_inputs"].isVisible()  # the warning sits by its own setting only
    assert view.blocking_problem is None  # a warning, not a reason to refuse training

    choose(qtbot, view.form.global_pool_combo, "avg")
    qtbot.waitUntil(lambda: not note.isVisible(), timeout=30_000)


def test_gui_model_normalise_off_warns_with_the_lessons_mistake(qtbot, controller):
    view = shown_model_view(qtbot, controller)
    check = view.form.normalize_check
    qtbot.mouseClick(check, Qt.MouseButton.LeftButton, pos=QPoint(8, check.height() // 2))  # on the box
    assert controller.config.model.normalize_inputs is False
    note = view.form.notes["normalize_inputs"]
    qtbot.waitUntil(lambda: note.isVisible(), timeout=30_000)
    assert "not normalised" in note.text
    assert "emotionally unstable" in view.form.normalize_check.toolTip()


def test_gui_model_impossible_map_blocks_training_and_says_why(qtbot, controller):
    view = shown_model_view(qtbot, controller)
    editor = view.form.conv_editor
    assert len(controller.config.model.conv_layers) == 4  # recommended: pools after conv1-3

    type_into(qtbot, view.form.input_size_spin, "16")
    assert controller.config.model.input_size == 16
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(editor.cell(3, "Pool after"), Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(view.validity_changed, timeout=30_000) as blocked:
        qtbot.mouseClick(editor.cell(4, "Pool after"), Qt.MouseButton.LeftButton)
    ok, reason = blocked.args
    assert ok is False and "shrunk to nothing" in reason
    assert view.blocking_problem == reason
    assert view.blocking_note.isVisible() and "cannot be trained" in view.blocking_note.text
    conv_note = view.form.notes["conv_layers"]
    assert conv_note.isVisible() and conv_note.severity == "error" and "pool5" in conv_note.text
    assert editor.table.verticalHeaderItem(4).toolTip() == reason  # the row that collapses is marked

    with qtbot.waitSignal(view.validity_changed, timeout=30_000) as fixed:
        qtbot.mouseClick(editor.cell(4, "Pool after"), Qt.MouseButton.LeftButton)
    assert fixed.args == [True, ""]
    assert view.blocking_problem is None and not view.blocking_note.isVisible()

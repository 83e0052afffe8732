"""The Model tab follows the loaded dataset: its head choices, and config changes made elsewhere."""

from __future__ import annotations

from gui_model_helpers import choose, combo_data, shown_model_view, wait_for_summary

from cnnstudio.core.model.presets import apply_preset


def _load(qtbot, controller, dataset_id):
    with qtbot.waitSignal(controller.dataset_loaded, timeout=60_000):
        controller.select_dataset(dataset_id, {"count": 40, "size": 16})


def test_gui_model_head_combo_lists_only_heads_for_the_dataset_task(qtbot, controller):
    view = shown_model_view(qtbot, controller)
    combo = view.form.head_combo

    _load(qtbot, controller, "manufacturing.surfaces")
    assert combo.itemText(0) == "default (defect_map)" and combo.itemData(0) == ""
    assert sorted(combo_data(combo)[1:]) == ["classification", "defect_map", "heatmap"]
    choose(qtbot, combo, "heatmap")
    assert controller.config.head.id == "heatmap"
    assert not view.form.notes["head"].isVisible()

    _load(qtbot, controller, "marketing.logos")
    assert combo.itemText(0) == "default (boxes)"
    assert sorted(combo_data(combo)[1:]) == ["box", "boxes", "classification"]
    assert controller.config.head.id == "" and combo.currentIndex() == 0  # a new dataset starts on its default
    choose(qtbot, combo, "box")
    assert controller.config.head.id == "box"
    choose(qtbot, combo, "")
    assert controller.config.head.id == ""


def test_gui_model_follows_config_changes_from_elsewhere_without_echo(qtbot, controller):
    view = shown_model_view(qtbot, controller)
    seen = []
    controller.config_changed.connect(seen.append)
    controller.set_config(apply_preset(controller.config, "seed-avgpool"))
    assert len(seen) == 1  # the view redrew without handing a config back
    assert view.form.preset_combo.currentData() == "seed-avgpool"
    assert view.form.pooling_combo.currentData() == "avg"
    assert view.form.global_pool_combo.currentData() == "none"
    assert view.form.input_size_spin.value() == 32
    assert [layer.out_channels for layer in view.form.conv_editor.layers] == [8, 16]
    assert not view.form.preset_edited.isVisible()
    wait_for_summary(qtbot, view)
    qtbot.waitUntil(lambda: any(r.kind == "AvgPool2d" for r in view.summary_table.summary.rows))


def test_gui_model_summary_counts_the_datasets_classes(qtbot, controller):
    view = shown_model_view(qtbot, controller)
    with qtbot.waitSignal(controller.dataset_loaded, timeout=60_000):
        controller.select_dataset("retail.products", {"count": 30, "size": 16, "classes": "5"})
    classes = len(controller.imageset.class_names)
    assert classes == 5
    qtbot.waitUntil(lambda: view.summary_table.summary.num_classes == classes, timeout=30_000)
    last_layer = view.summary_table.rowCount() - 2
    assert view.summary_table.cell_text(last_layer, "Output") == str(classes)


def test_gui_model_summary_ends_with_the_chosen_heads_own_layers(qtbot, controller):
    from cnnstudio.core.model.network import build_model

    view = shown_model_view(qtbot, controller)
    _load(qtbot, controller, "manufacturing.surfaces")  # default head: defect_map, with its decoder
    qtbot.waitUntil(lambda: view.summary_table.summary is not None
                    and any(row.name == "head.out" for row in view.summary_table.summary.rows), timeout=30_000)
    wait_for_summary(qtbot, view)
    summary = view.summary_table.summary
    built = build_model(controller.config.model, controller.manager.head("defect_map").build, 2)
    assert summary.total_params == sum(p.numel() for p in built.parameters())
    names = [view.summary_table.cell_text(row, "Layer") for row in range(view.summary_table.rowCount() - 1)]
    assert {"head.lateral.0", "head.out"} <= set(names) and "fc" not in names
    assert "its own layers are the head.* rows" in view.summary_caption.text()

    choose(qtbot, view.form.head_combo, "classification")
    qtbot.waitUntil(lambda: any(row.name == "fc" for row in view.summary_table.summary.rows), timeout=30_000)

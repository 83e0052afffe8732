"""File menu: run configs open and save as TOML, preferences choose the workspace; status bar names the device."""

from __future__ import annotations

from dataclasses import replace

from cnnstudio.core.config import RunConfig
from cnnstudio.core.model.presets import apply_preset
from cnnstudio.gui.dialogs.preferences_dialog import PreferencesDialog


def test_a_saved_config_reopens_with_its_model_training_and_dataset(window, qtbot, tmp_path) -> None:
    controller = window.controller
    config = apply_preset(RunConfig(), "seed-3conv")
    config = replace(config, dataset=replace(config.dataset, id="documents.forgery", options={"count": 30, "size": 16}),
                     training=replace(config.training, epochs=4))
    controller.set_config(config)
    path = tmp_path / "mine.toml"
    window.save_config(str(path))
    assert RunConfig.load(path) == config.validate()

    controller.set_config(RunConfig())
    with qtbot.waitSignal(controller.dataset_loaded, timeout=60_000):
        window.open_config(str(path))
    assert controller.spec.id == "documents.forgery" and len(controller.imageset) == 30
    assert controller.config.model.preset == "seed-3conv" and controller.config.training.epochs == 4


def test_a_broken_config_file_is_named_in_a_message_and_changes_nothing(window, tmp_path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[model\ninput_size = ", encoding="utf-8")
    before = window.controller.config
    window.open_config(str(path))
    assert str(path) in window.error_box.text()
    assert window.controller.config == before
    window.error_box.close()


def test_preferences_refuse_a_file_as_workspace_and_accept_a_new_folder(qtbot, tmp_path) -> None:
    dialog = PreferencesDialog(tmp_path / "runs", 0)
    qtbot.addWidget(dialog)
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    dialog.folder.setText(str(a_file))
    dialog._accept()
    assert "is a file" in dialog.error.text() and not dialog.result()
    dialog.folder.setText(str(tmp_path / "new" / "workspace"))
    dialog.threads.setValue(3)
    dialog._accept()
    assert dialog.result() and (tmp_path / "new" / "workspace").is_dir()
    assert dialog.values() == (tmp_path / "new" / "workspace", 3)


def test_the_status_bar_names_the_training_device_and_threads(window) -> None:
    from cnnstudio.app.training_process import default_threads

    threads = default_threads()
    assert f"{threads} thread{'s' if threads != 1 else ''}" in window.device_label.text()
    assert " 1 threads" not in window.device_label.text()
    assert window.workspace() == window.controller.runs_root


def test_export_and_report_menu_entries_act_on_the_current_run(window, tmp_path) -> None:
    window.export_action.trigger()
    assert "open a run first" in window.statusBar().currentMessage()
    assert not getattr(window, "export_dialog", None)

    window.controller.run_opened.emit(str(tmp_path / "20261125-shelf-run"))
    window.export_action.trigger()
    assert window.export_dialog.isVisible() and "20261125-shelf-run" in window.export_dialog.windowTitle()
    window.export_dialog.close()
    assert window.report_action.action in window.menuBar().actions()[0].menu().actions()


def test_the_user_guide_shows_its_screenshots_scaled_to_the_dialog(window) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QImage, QTextDocument

    window.show_user_guide()
    browser = window.guide_dialog.browser
    assert "The desktop app" in browser.toPlainText()
    url = browser.document().baseUrl().resolved(QUrl("screenshots/data.png"))  # as the document resolves it
    image = browser.loadResource(QTextDocument.ResourceType.ImageResource.value, url)
    assert isinstance(image, QImage) and not image.isNull()
    assert image.width() == browser.MAX_IMAGE_WIDTH
    window.guide_dialog.close()

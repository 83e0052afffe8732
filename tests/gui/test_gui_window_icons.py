"""Icons: the app icon on the window, an icon on every menu action and on the Train and Runs buttons,
the sample photos on the Try an image tab."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QIcon

from cnnstudio.gui.tabs.predict.predict_view import NO_RUN
from cnnstudio.gui.widgets import icons
from cnnstudio.resource_files import sample_images


def drawn(icon: QIcon, side: int = 24) -> bool:
    """Whether ``icon`` paints any pixel at ``side`` px (a font icon of an unknown glyph paints none)."""
    image = icon.pixmap(side, side).toImage()
    return not image.isNull() and any(image.pixelColor(x, y).alpha() > 0
                                      for x in range(image.width()) for y in range(image.height()))


def test_the_window_shows_the_app_icon(window):
    assert not window.windowIcon().isNull()
    assert drawn(window.windowIcon(), 64)


@pytest.mark.parametrize("name", sorted(icons.ICONS))
def test_every_named_icon_is_drawn(qtbot, name):
    assert drawn(icons.icon(name)), name


def test_every_menu_action_has_an_icon(window):
    missing = [f"{menu.text()} > {action.text()}"
               for menu in window.menuBar().actions() if menu.menu() is not None
               for action in menu.menu().actions() if not action.isSeparator() and action.icon().isNull()]
    assert not missing, missing


def test_train_and_runs_buttons_have_icons(window):
    runs = window.runs_view
    buttons = (window.train_view.start_button, window.train_view.stop_button, runs.refresh_button,
               runs.open_button, runs.resume_button, runs.folder_button, runs.compare_button)
    assert [button.text() for button in buttons if button.icon().isNull()] == []
    assert window.train_view.start_button.text() == "Start training"  # the text stays beside the icon


def test_an_icon_that_cannot_be_made_is_empty_and_an_unknown_name_is_an_error(qtbot, monkeypatch):
    def broken() -> None:
        raise ImportError("No module named 'qtawesome'")

    monkeypatch.setattr(icons, "_qtawesome", broken)
    assert icons.icon("start").isNull()
    with pytest.raises(KeyError):
        icons.icon("no-such-action")


def test_the_try_tab_offers_each_sample_photo_and_clicking_one_predicts_it(qtbot, window):
    view = window.predict_view
    window.tabs.setCurrentWidget(view)
    samples = sample_images()
    buttons = view.samples.buttons
    assert len(buttons) == len(samples) >= 3 and view.samples.isVisible()
    assert all(drawn(button.icon(), 40) for button in buttons)
    assert samples[0].stem.replace("-", " ") in buttons[0].toolTip()
    with qtbot.waitSignal(view.predicted, timeout=60_000) as answer:
        buttons[0].click()
    assert answer.args[0] == {"file": str(samples[0]), "error": NO_RUN}  # no run in this workspace yet
    assert view.path == str(samples[0]) and samples[0].name in view.file_label.text()

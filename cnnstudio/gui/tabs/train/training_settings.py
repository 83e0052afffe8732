"""The training settings form: edits ``controller.config.training`` and the seed, with tooltips that teach.

Every change goes back to the controller as a new RunConfig
(``controller.set_config``); a setting the core rejects (``RunConfig.validate``)
is named in red under the form, and Start then refuses with the same words.
"""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from cnnstudio.core.config import OPTIMIZERS, RunConfig
from cnnstudio.core.errors import CNNStudioError
from cnnstudio.gui.widgets import palette

if TYPE_CHECKING:
    from cnnstudio.gui.controller import StudioController

TIPS = {
    "epochs": "Epochs: how many times training goes through every training image. Too few and the model has "
              "not learned yet; too many on a small dataset and it starts memorising the training images "
              "(\"100 epochs on 10 images: you're training on noise, enjoy your 100% accuracy\"). Watch the "
              "validation curve, not the training one.",
    "batch_size": "Batch size: images per optimizer step. Larger batches give smoother, faster steps per image on "
                  "a CPU; smaller ones give more steps per epoch and a noisier, sometimes better, search.",
    "lr": "Learning rate: how big a step the optimizer takes on each batch. Too high and the loss jumps around or "
          "explodes (NaN); too low and the loss creeps down for many epochs. Adam works well around 0.001-0.003 "
          "(the lesson used 0.001); SGD usually wants about 10x more.",
    "optimizer": "Optimizer: how the gradients become weight updates. Adam adapts the step to each weight and is "
                 "forgiving about the learning rate; SGD with momentum is simpler and needs a tuned learning rate.",
    "val_fraction": "Validation split: images held out of training and scored after every epoch. They are the "
                    "honest measure: a model that is right on its training images but wrong on these has "
                    "memorised rather than learned. The best epoch is picked on this split.",
    "test_fraction": "Test split: images used once, at the end, to report how the best model does on images "
                     "that neither trained it nor chose it. 0 means no test split.",
    "patience": "Early stopping: stop when the validation score has not improved for this many epochs. The best "
                "epoch's weights are kept either way. 'never' trains every epoch.",
    "augment_flip": "Random horizontal flips of training images: the model sees more varied images and learns "
                    "that a mirrored product is still the same product. Turned off by datasets where left and "
                    "right matter (text, logos).",
    "augment_shift": "Random shifts of up to 1/8 of the image: the model learns to find the pattern wherever it "
                     "is, which helps against over-fitting on small datasets.",
    "class_balanced_loss": "Weight each image's loss by how rare its class is, so a rare class (a defect, a "
                           "forgery) counts as much as a common one. Without it a model can score high accuracy "
                           "by always answering the common class.",
    "balanced_sampling": "Draw every class equally often in each epoch (rare images repeat). Another answer to "
                         "imbalanced classes; usually one of the two balancing options is enough.",
    "tensorboard": "Write TensorBoard event files (losses per batch, every metric per epoch, the first layer's "
                   "filters) into RUN_DIR/tensorboard. To watch all runs side by side, run "
                   "`tensorboard --logdir {runs}` and open the address it prints in a browser.",
    "seed": "Seed: the same seed and settings give the same numbers on a CPU. Change it to see how much of a "
            "difference between two models is luck.",
}


class TrainingSettings(QWidget):
    """A form over ``config.training`` and ``config.seed``; emits ``edited`` after it updates the controller."""

    edited = Signal(object)  # the new RunConfig

    def __init__(self, controller: StudioController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._updating = False
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.epochs = _spin(1, 100_000)
        self.batch_size = _spin(1, 65_536)
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(0.00001, 10.0)
        self.lr.setSingleStep(0.0005)
        self.optimizer = QComboBox()
        self.optimizer.addItems(list(OPTIMIZERS))
        self.val_fraction = _spin(1, 85, suffix=" %")
        self.test_fraction = _spin(0, 85, suffix=" %")
        self.patience = _spin(0, 10_000, suffix=" epochs")
        self.patience.setSpecialValueText("never")
        self.augment_flip = QCheckBox("random horizontal flips")
        self.augment_shift = QCheckBox("random shifts")
        self.class_balanced_loss = QCheckBox("class-balanced loss")
        self.balanced_sampling = QCheckBox("balanced sampling")
        self.tensorboard = QCheckBox("Log to TensorBoard")
        self.seed = _spin(0, 2**31 - 1)

        rows = (
            ("Epochs", "epochs"), ("Batch size", "batch_size"), ("Learning rate", "lr"), ("Optimizer", "optimizer"),
            ("Validation split", "val_fraction"), ("Test split", "test_fraction"), ("Early stopping", "patience"),
            ("Augmentation", "augment_flip"), ("", "augment_shift"), ("Imbalanced classes", "class_balanced_loss"),
            ("", "balanced_sampling"), ("Logging", "tensorboard"), ("Seed", "seed"),
        )
        for label, name in rows:
            widget = getattr(self, name)
            widget.setObjectName(name)
            tip = self._tensorboard_tip() if name == "tensorboard" else TIPS[name]
            widget.setToolTip(tip)
            if label:
                caption = QLabel(label)
                caption.setToolTip(tip)
                form.addRow(caption, widget)
            else:
                form.addRow("", widget)
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(palette.ERROR_STYLE)
        self.problem.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addStretch(1)

        for spin in (self.epochs, self.batch_size, self.val_fraction, self.test_fraction, self.patience, self.seed):
            spin.valueChanged.connect(self._commit)
        self.lr.valueChanged.connect(self._commit)
        self.optimizer.currentTextChanged.connect(self._commit)
        self.tensorboard.setEnabled(tensorboard_installed())
        for box in (self.augment_flip, self.augment_shift, self.class_balanced_loss, self.balanced_sampling,
                    self.tensorboard):
            box.toggled.connect(self._commit)
        controller.config_changed.connect(self.show_config)
        self.show_config(controller.config)

    def show_config(self, config: RunConfig) -> None:
        """Put ``config``'s training settings in the widgets (without echoing them back)."""
        t = config.training
        self._updating = True
        try:
            self.epochs.setValue(t.epochs)
            self.batch_size.setValue(t.batch_size)
            self.lr.setValue(t.lr)
            self.optimizer.setCurrentText(t.optimizer)
            self.val_fraction.setValue(round(t.val_fraction * 100))
            self.test_fraction.setValue(round(t.test_fraction * 100))
            self.patience.setValue(t.patience)
            for name in ("augment_flip", "augment_shift", "class_balanced_loss", "balanced_sampling", "tensorboard"):
                getattr(self, name).setChecked(bool(getattr(t, name)))
            self.seed.setValue(config.seed)
            self.tensorboard.setToolTip(self._tensorboard_tip())  # the workspace folder may have changed
        finally:
            self._updating = False
        self._check(config)

    def _commit(self, *_: Any) -> None:
        if self._updating:
            return
        config = self.controller.config
        training = replace(
            config.training,
            epochs=self.epochs.value(), batch_size=self.batch_size.value(), lr=float(self.lr.value()),
            optimizer=self.optimizer.currentText(), val_fraction=self.val_fraction.value() / 100,
            test_fraction=self.test_fraction.value() / 100, patience=self.patience.value(),
            augment_flip=self.augment_flip.isChecked(), augment_shift=self.augment_shift.isChecked(),
            class_balanced_loss=self.class_balanced_loss.isChecked(),
            balanced_sampling=self.balanced_sampling.isChecked(), tensorboard=self.tensorboard.isChecked(),
        )
        new = replace(config, training=training, seed=self.seed.value())
        self.controller.set_config(new)  # config_changed comes back through show_config
        self.edited.emit(new)

    def _tensorboard_tip(self) -> str:
        from cnnstudio.core.runs.folder import default_runs_root

        runs = self.controller.runs_root or default_runs_root()
        tip = TIPS["tensorboard"].format(runs=runs)
        if not tensorboard_installed():
            tip = ("TensorBoard is not installed, so this is off. Install it into CNN Studio's Python with "
                   "`pip install tensorboard` and restart the app.\n\n" + tip)
        return tip

    def _check(self, config: RunConfig) -> None:
        try:
            config.validate()
        except CNNStudioError as error:
            self.problem.setText(f"Cannot start: {error}")
            self.problem.show()
        else:
            self.problem.hide()


def tensorboard_installed() -> bool:
    """Whether the tensorboard package can be imported (looked up, not imported: that takes seconds)."""
    return importlib.util.find_spec("tensorboard") is not None


def _spin(low: int, high: int, suffix: str = "") -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setSuffix(suffix)
    spin.setKeyboardTracking(False)  # typing "120" sends one change, not 1, 12, 120
    return spin

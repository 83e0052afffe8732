"""A dataset that a mirror image changes (logos) trains without flips, and the run says why."""

from __future__ import annotations

from dataclasses import replace

from trainer_helpers import Recorder, tiny_config

from cnnstudio.app.runner import adapt_to_dataset, train_run
from cnnstudio.core.events import Advice
from cnnstudio.core.specs import DatasetSpec


def spec(mirror_safe: bool) -> DatasetSpec:
    return DatasetSpec("demo.marks", "Marks", "Demo", "", load=lambda options: None, mirror_safe=mirror_safe)


def test_flips_are_turned_off_with_a_note_only_where_a_mirror_changes_the_answer() -> None:
    config = tiny_config(augment_flip=True)
    unchanged, notes = adapt_to_dataset(config, spec(mirror_safe=True))
    assert unchanged is config and notes == []
    adapted, notes = adapt_to_dataset(config, spec(mirror_safe=False))
    assert adapted.training.augment_flip is False and config.training.augment_flip is True
    assert [code for code, _ in notes] == ["flip_off"] and "demo.marks" in notes[0][1]


def test_a_logo_run_saves_flips_off_in_its_config_and_tells_the_user(tmp_path) -> None:
    config = tiny_config(epochs=1, augment_flip=True)
    config = replace(config, dataset=replace(config.dataset, id="marketing.logos", options={"count": 60, "size": 16}))
    recorder = Recorder()
    finished = train_run(config, run_dir=tmp_path / "run", observers=[recorder])
    from cnnstudio.core.runs.folder import RunFolder

    assert RunFolder(finished.run_dir).load_config().training.augment_flip is False
    notes = [event for event in recorder.events if isinstance(event, Advice) and event.code == "flip_off"]
    assert len(notes) == 1 and "marketing.logos" in notes[0].message

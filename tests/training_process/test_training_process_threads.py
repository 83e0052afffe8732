"""The app and the CLI train on the same threads by default, and their runs compare without a threads difference."""

from __future__ import annotations

import json
import os
from dataclasses import replace

from training_process_helpers import assert_no_children_left, collect, is_terminal, tiny_retail_config

from cnnstudio.app.training_process import TrainingProcess, default_threads
from cnnstudio.cli.main import main
from cnnstudio.core.evaluate.compare import compare_runs
from cnnstudio.core.events import RunFinished, RunStarted
from cnnstudio.core.runs.folder import RunFolder
from cnnstudio.core.train.device import resolve_threads


def test_the_app_and_the_cli_default_to_every_core_this_process_may_use():
    assert default_threads() == resolve_threads(0) == len(os.sched_getaffinity(0))


def test_an_app_run_and_a_cli_run_of_one_config_differ_in_nothing_but_their_numbers(tmp_path, capsys):
    config = replace(tiny_retail_config(epochs=1), threads=0)  # neither sets threads
    process = TrainingProcess(config, runs_root=tmp_path / "app")
    process.start()
    try:
        events = collect(process, is_terminal)
    finally:
        process.close()
    assert_no_children_left()
    app = events[-1]
    assert isinstance(app, RunFinished), app
    assert next(e for e in events if isinstance(e, RunStarted)).threads == default_threads()

    config.save(tmp_path / "run.toml")
    assert main(["train", "--config", str(tmp_path / "run.toml"), "--out", str(tmp_path / "cli"),
                 "--json", "--no-progress"]) == 0
    cli_dir = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["run_dir"]

    assert compare_runs([app.run_dir, cli_dir]).differences == []
    assert RunFolder(app.run_dir).load_config().threads == 0
    assert RunFolder(app.run_dir).read_info()["threads"] == RunFolder(cli_dir).read_info()["threads"] == default_threads()

"""Memory is budgeted before work starts: the summary builds nothing, training refuses what cannot fit.

A 1024 px model with two 4096-filter layers is described on torch's meta device
(no weights), under an address-space limit of 300 MiB above what the imports
took; a generated dataset of 200,000 images of 512x512 (146 GiB) is refused in
words within seconds, before a single image is drawn; the estimate's parts
match a real model's parameters and the dataset's bytes exactly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from cnnstudio.core.config import ConvLayer, RunConfig
from cnnstudio.core.errors import ConfigError
from cnnstudio.core.model.memory_budget import (
    ACCELERATOR,
    MEMORY,
    WARN_SHARE,
    available_memory,
    check_memory,
    estimate_training_memory,
)
from cnnstudio.core.model.presets import PRESETS, apply_preset
from cnnstudio.core.model.summary import summarize

ROOT = Path(__file__).resolve().parents[2]
GIB = 2**30

HUGE_TOML = """
[model]
input_size = 1024
global_pool = "{pool}"

[[model.conv_layers]]
out_channels = 4096
kernel = 3

[[model.conv_layers]]
out_channels = 4096
kernel = 3
"""


def _huge_config(tmp_path: Path, pool: str) -> Path:
    path = tmp_path / f"huge-{pool}.toml"
    path.write_text(HUGE_TOML.format(pool=pool))
    return path


def _cli(*args: str, timeout: float = 60, **kwargs) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "cnnstudio", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, **kwargs)
    return done, time.monotonic() - started


def _address_space_cap(gib: float):
    """A preexec_fn: a child that cannot map more than ``gib`` GiB (so a slip cannot hurt the machine)."""
    def cap() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (int(gib * GIB), int(gib * GIB)))
    return cap


# ---- (a) the summary of a huge model allocates nothing ---------------------------

SUMMARY_UNDER_LIMIT = textwrap.dedent("""
    import contextlib, io, json, re, resource, sys, time
    from cnnstudio.cli.main import main
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["summary", "--preset", "seed"]) == 0  # imports and plugins loaded, outside the budget
    vm = int(re.search(r"VmSize:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) * 1024
    limit = vm + 300 * 2**20  # 300 MiB above the interpreter, torch and the plugins
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results = []
    for path in sys.argv[1:]:
        out = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(out):
            code = main(["summary", "--config", path])
        results.append({"code": code, "seconds": time.perf_counter() - started, "text": out.getvalue()})
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) * 1024
    print(json.dumps({"results": results, "grown": grown}))
""")


def test_summary_of_a_1024px_4096_filter_model_runs_in_300_mib_and_well_under_a_second(tmp_path):
    paths = [str(_huge_config(tmp_path, "max")), str(_huge_config(tmp_path, "none"))]
    done = subprocess.run([sys.executable, "-c", SUMMARY_UNDER_LIMIT, *paths], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["grown"] < 300 * 2**20
    max_pool, flatten = report["results"]
    for result in (max_pool, flatten):
        assert result["code"] == 0 and result["seconds"] < 1.0, result
    assert "151,130,114" in max_pool["text"]  # conv1 + conv2 (no bias with batch-norm) + bn + fc, counted exactly
    # A flattened 4096x1024x1024 map: the classifier alone would be 8.6 billion float32 weights (32 GiB).
    assert "8,589,934,594" in flatten["text"]


def test_summary_prints_the_training_memory_and_says_it_would_not_fit(tmp_path):
    done, seconds = _cli("summary", "--config", str(_huge_config(tmp_path, "max")),
                         preexec_fn=_address_space_cap(6))
    assert done.returncode == 0, done.stderr
    assert seconds < 30
    lines = [line for line in done.stdout.splitlines() if line.startswith("Training memory: about")]
    assert len(lines) == 1, done.stdout
    assert "parameters 577 MiB" in lines[0] and "optimizer state 1.1 GiB" in lines[0]
    assert "WARNING: training would not fit: this run needs about" in done.stdout
    assert "lower model.input_size or use fewer filters" in done.stdout


# ---- (b) training refuses a dataset that cannot fit, before generating it ------------

def test_train_refuses_200000_images_of_512px_in_words_before_generating_anything(tmp_path):
    available = available_memory()
    if available is None or available > 140 * GIB:
        pytest.skip("this machine could hold the 146 GiB dataset")
    out = tmp_path / "runs"
    done, seconds = _cli("train", "--dataset", "retail.products", "--option", "count=200000",
                         "--option", "size=512", "--out", str(out), "--no-progress",
                         preexec_fn=_address_space_cap(6))
    assert done.returncode == 2, done.stderr
    assert seconds < 30  # importing torch is most of it; generating would take minutes
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("cnnstudio: error: this run needs about 15")
    assert "(dataset: 200,000 images of 512x512 = 146 GiB" in line
    assert "is available: lower dataset.options.count or size, model.input_size or training.batch_size" in line
    assert not out.exists()  # no run folder: nothing was written, nothing generated


def test_prepare_refuses_before_the_loader_runs_and_warns_near_the_limit(monkeypatch):
    import cnnstudio.app.runner as runner
    from cnnstudio.host.manager import get_plugin_manager

    manager = get_plugin_manager()
    spec = manager.dataset("retail.products")
    loads = []
    fake = replace(spec, load=lambda options: loads.append(options) or spec.load(options))
    monkeypatch.setattr(manager, "dataset", lambda _id: fake)
    config = replace(RunConfig(), dataset=replace(RunConfig().dataset, options={"count": 20, "size": 16}))
    estimate = runner.training_memory(config, fake, fake.resolve_options(config.dataset.options), None)

    monkeypatch.setattr(runner, "available_memory", lambda: estimate.total - 1)
    with pytest.raises(ConfigError, match=r"^this run needs about .* is available: "):
        runner.prepare(config, manager, memory_notes=[])
    assert loads == []  # refused before the dataset was generated

    monkeypatch.setattr(runner, "available_memory", lambda: int(estimate.total / (WARN_SHARE + 0.2)))
    notes: list[tuple[str, str]] = []
    _, imageset, _ = runner.prepare(config, manager, memory_notes=notes)
    assert len(imageset) == 20 and [code for code, _ in notes] == ["memory"]
    assert "% of the" in notes[0][1] and "available" in notes[0][1]

    monkeypatch.setattr(runner, "available_memory", lambda: 100 * estimate.total)
    notes = []
    runner.prepare(config, manager, memory_notes=notes)
    assert notes == []
    runner.prepare(config, manager)  # evaluation and export: no budget asked for, none checked


# ---- (c) the estimate's parts ------------------------------------------------------

@pytest.mark.parametrize("name", PRESETS)
def test_parameter_parts_match_the_real_model_for_every_preset(name):
    from cnnstudio.core.model.heads import build_classification_head
    from cnnstudio.core.model.network import build_model

    config = apply_preset(RunConfig(), name)
    real = sum(p.numel() for p in build_model(config.model, build_classification_head, 3).parameters())
    estimate = estimate_training_memory(config, 100, 32, num_classes=3)
    assert estimate.part("parameters").bytes == 4 * real
    assert estimate.part("gradients").bytes == 4 * real
    states = 2 if config.training.optimizer == "adam" else 1
    assert estimate.part("optimizer").bytes == states * 4 * real


@pytest.mark.parametrize("head_id", ["box", "heatmap"])
def test_plugin_heads_are_counted_on_meta_like_the_real_ones(head_id):
    from cnnstudio.core.model.network import build_model
    from cnnstudio.host.manager import get_plugin_manager

    build = get_plugin_manager().head(head_id).build
    config = RunConfig()
    real = build_model(config.model, build, 2)
    summary = summarize(config.model, 2, head_build=build)
    assert summary.total_params == sum(p.numel() for p in real.parameters())
    assert all(not p.is_meta for p in real.parameters())  # the meta device stayed inside summarize


def test_dataset_and_copy_bytes_are_exact():
    config = RunConfig()  # model.input_size 64, Adam, batch 32
    resized = estimate_training_memory(config, 2000, 32)
    assert resized.part("dataset").bytes == 2000 * 32 * 32 * 3
    assert resized.part("copies").bytes == 2 * 2000 * 64 * 64 * 3  # the resized copy and the splits
    same = estimate_training_memory(config, 2000, 64)
    assert same.part("copies").bytes == 2000 * 64 * 64 * 3  # no resize: only the splits copy
    masked = estimate_training_memory(config, 100, 64, masks=True)
    assert masked.part("dataset").bytes == 100 * 64 * 64 * 4  # a mask byte per pixel
    unknown = estimate_training_memory(config, None, None)
    assert unknown.part("dataset") is None and unknown.part("copies") is None
    huge = estimate_training_memory(config, 200_000, 512)
    assert huge.part("dataset").bytes == 157_286_400_000 and huge.biggest().key == "dataset"
    assert huge.describe().startswith("about 151 GiB (dataset: 200,000 images of 512x512 = 146 GiB; ")


def test_activations_follow_the_layer_table_and_the_batch():
    config = apply_preset(RunConfig(), "seed")
    config = replace(config, model=replace(config.model, input_size=128))
    summary = summarize(config.model, 2)

    def batch_of(size: int):
        return estimate_training_memory(replace(config, training=replace(config.training, batch_size=size)),
                                        10_000, 128, summary=summary)

    # Small batches: evaluation's 256 images without gradients are the peak, whatever the batch.
    assert batch_of(8).part("evaluation").bytes == batch_of(16).part("evaluation").bytes
    assert "evaluation batch of 256" in batch_of(8).part("evaluation").detail
    small, big = batch_of(128), batch_of(256)
    assert big.part("activations").bytes == 2 * small.part("activations").bytes
    assert big.part("activations").bytes > 256 * summary.activation_bytes  # forward and backward
    assert "a training batch of 256 images of 128x128" in big.part("activations").detail
    sgd = replace(config, training=replace(config.training, optimizer="sgd"))
    assert estimate_training_memory(sgd, 10, 128).part("optimizer").bytes == 4 * summary.total_params
    on_gpu = estimate_training_memory(config, 10_000, 128, accelerator=True)
    assert on_gpu.part("parameters").place == ACCELERATOR and on_gpu.part("dataset").place == MEMORY
    assert on_gpu.biggest(ACCELERATOR).key == "evaluation"


def test_check_memory_refuses_warns_or_stays_quiet():
    estimate = estimate_training_memory(RunConfig(), 200_000, 512)
    refusal = check_memory(estimate, 20 * GIB)
    assert refusal.severity == "error" and refusal.field == "dataset.options.count"
    assert refusal.message == (
        "this run needs about 151 GiB (dataset: 200,000 images of 512x512 = 146 GiB; copies at 64x64: 4.6 GiB) "
        "but 20 GiB is available: lower dataset.options.count or size, model.input_size or training.batch_size"
    )
    warning = check_memory(estimate, 200 * GIB)
    assert warning.severity == "warning" and "76% of the 200 GiB available" in warning.message
    assert check_memory(estimate, 400 * GIB) is None
    assert check_memory(estimate, None) is None
    # On a GPU the model's parts are checked against its own free memory.
    gpu = estimate_training_memory(RunConfig(), 100, 64, accelerator=True)
    tight = check_memory(gpu, 100 * GIB, accelerator_available=gpu.bytes_in(ACCELERATOR) - 1)
    assert tight.severity == "error" and "on the GPU" in tight.message


def test_available_memory_reads_the_machine():
    available = available_memory()
    assert available is not None and 0 < available
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert available <= total


# ---- (d) the Model tab shows it ----------------------------------------------------------

def test_model_tab_shows_the_training_memory_and_blocks_a_run_that_cannot_fit(qtbot, tmp_path, monkeypatch):
    import cnnstudio.core.model.memory_budget as memory_budget
    from cnnstudio.gui.controller import StudioController
    from cnnstudio.gui.tabs.model.model_view import ModelView

    monkeypatch.setattr(memory_budget, "available_memory", lambda: 8 * GIB)
    controller = StudioController(runs_root=tmp_path / "runs")
    try:
        view = ModelView(controller)
        qtbot.addWidget(view)
        view.show()
        qtbot.waitExposed(view)
        qtbot.waitUntil(lambda: view.memory_label.text().startswith("Training memory: about"), timeout=30_000)
        assert "of 8.0 GiB available" in view.memory_label.text()
        assert "model activations" in view.memory_label.text()
        assert view.blocking_problem is None

        config = controller.config
        controller.set_config(replace(config, dataset=replace(config.dataset, options={"count": 200_000, "size": 512})))
        qtbot.waitUntil(lambda: "146 GiB" in view.memory_label.text(), timeout=30_000)
        assert view.memory_label.text().startswith("Training memory: about 151 GiB (dataset: 200,000 images")
        assert view.blocking_problem is not None and "but 8.0 GiB is available" in view.blocking_problem
        assert any(p.code == "memory" and p.severity == "error" for p in view.advice)
    finally:
        controller.shutdown()


def test_a_front_end_can_refuse_to_load_a_dataset_that_cannot_fit():
    from cnnstudio.core.model.memory_budget import check_dataset_fits
    from cnnstudio.host.manager import get_plugin_manager

    spec = get_plugin_manager().dataset("manufacturing.surfaces")  # defect masks: 4 bytes a pixel
    options = spec.resolve_options({"count": 200_000, "size": 512})
    with pytest.raises(ConfigError, match=r"^manufacturing.surfaces would take 195 GiB of memory \(200,000 images "
                                          r"of 512x512\) but 20 GiB is available: lower dataset.options.count or size$"):
        check_dataset_fits(spec, options, available=20 * GIB)
    check_dataset_fits(spec, spec.resolve_options({}), available=20 * GIB)


def test_a_summary_head_that_cannot_be_built_on_meta_is_built_for_real_when_small():
    from cnnstudio.core.model.heads import build_classification_head

    def needs_real_tensors(feature, num_classes, options):
        import torch

        torch.zeros(1).item()  # fails on the meta device
        return build_classification_head(feature, num_classes, options)

    config = RunConfig().model
    assert summarize(config, 2, head_build=needs_real_tensors).total_params == summarize(config, 2).total_params


def test_a_flattened_classifier_is_told_to_pool_and_a_pooled_one_to_use_fewer_filters():
    flattened = RunConfig.from_dict({"model": {"input_size": 128, "global_pool": "none",
                                               "conv_layers": [{"out_channels": 64}]},
                                     "training": {"batch_size": 1}})
    estimate = estimate_training_memory(flattened, 10, 128, num_classes=20)
    assert estimate.biggest().key == "optimizer"  # Adam's 2 x 21 million classifier weights
    assert check_memory(estimate, 2**20).message.endswith(
        "set model.global_pool to max or avg so the classifier does not read every pixel, "
        "or use fewer filters in model.conv_layers")
    pooled = replace(flattened, model=replace(flattened.model, global_pool="max", input_size=8,
                                              conv_layers=[ConvLayer(512)] * 4))
    estimate = estimate_training_memory(pooled, 10, 8)
    assert estimate.biggest().key == "optimizer"
    assert check_memory(estimate, 100 * 2**20).message.endswith(": use fewer filters in model.conv_layers")


def test_the_data_tab_refuses_a_dataset_larger_than_memory_before_generating_it(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings

    import cnnstudio.core.model.memory_budget as memory_budget
    from cnnstudio.gui.main_window import MainWindow

    monkeypatch.setenv("CNNSTUDIO_RUNS_DIR", str(tmp_path / "runs"))
    window = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    controller = window.controller
    monkeypatch.setattr(memory_budget, "available_memory", lambda: 64 << 20)  # a 64 MiB machine
    with qtbot.waitSignal(controller.dataset_failed, timeout=30_000) as failed:
        controller.select_dataset("retail.products", {"count": 20000, "size": 128})
    message = str(failed.args[-1])
    assert "retail.products would take" in message and "20,000 images of 128x128" in message

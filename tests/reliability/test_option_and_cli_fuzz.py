"""Dataset options, head options and the command line never crash: hostile values and flags give one short
line (exit 2), never another exception (exit 3). Training itself is replaced by a no-op, so a valid config
costs nothing."""

from __future__ import annotations

import dataclasses
import io
import math
from contextlib import redirect_stderr, redirect_stdout

import pytest
from config_fuzz_helpers import BIG, DEEP, FUZZ, HOSTILE, MAX_MESSAGE, deeply_nested, message_ok, short_id, toml_with
from hypothesis import given, settings, strategies as st

from cnnstudio.cli import main as cli
from cnnstudio.core.errors import ConfigError
from cnnstudio.core.specs import DatasetOption, HeadSpec

# ---- dataset options and head options ----------------------------------------------------


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 10**5000, 2.5, "x" * BIG, [1], {"a": 1},
                                   True, "9" * 5000, deeply_nested(DEEP, "list")], ids=short_id)
def test_int_dataset_options_refuse_nonsense_in_one_line(value):
    option = DatasetOption("count", 200, minimum=10, maximum=200_000)
    with pytest.raises(ConfigError) as caught:
        option.validate(value, "x" * BIG)
    assert "dataset.options.count" in message_ok(caught.value)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 10**5000, "nan", [0.5]], ids=short_id)
def test_float_dataset_options_refuse_nonsense_in_one_line(value):
    option = DatasetOption("rate", 0.5, minimum=0.0, maximum=1.0)
    with pytest.raises(ConfigError) as caught:
        option.validate(value, "retail.products")
    assert "dataset.options.rate" in message_ok(caught.value)


def test_dataset_options_keep_their_coercions():
    assert DatasetOption("count", 200).validate(300.0, "d") == 300
    assert DatasetOption("count", 200).validate("300", "d") == 300
    assert DatasetOption("rate", 0.5).validate(1, "d") == 1.0
    assert DatasetOption("name", "a").validate(5, "d") == "5"


def test_a_head_that_declares_its_options_names_an_unknown_one():
    spec = HeadSpec("acme.head", "Acme", lambda shape, n, options: None, options=("alpha", "beta"))
    spec.check_options({"alpha": 1, "global_pool": "max", "input_size": 64})
    with pytest.raises(ConfigError) as caught:
        spec.check_options({"gamma": 1})
    assert str(caught.value) == ("head.options.gamma is not an option of the acme.head head "
                                 "(options: alpha, beta, global_pool, input_size)")
    with pytest.raises(ConfigError) as caught:
        spec.check_options({"k" * BIG: 1})
    assert message_ok(caught.value).startswith("head.options.kkkk")
    # Without a declaration any name reaches build, as before.
    HeadSpec("old.head", "Old", lambda shape, n, options: None).check_options({"anything": 1})


def test_the_classification_head_refuses_unknown_options():
    from cnnstudio.core.model.heads import build_classification_head

    build_classification_head((8, 2, 2), 2, {"global_pool": "max", "input_size": 64})
    with pytest.raises(ConfigError, match=r"head.options.treshold is not an option of the classification head "
                                          r"\(options: global_pool, input_size\)"):
        build_classification_head((8, 2, 2), 2, {"treshold": 0.5})


@pytest.mark.parametrize("head", ["heatmap", "box"])
@pytest.mark.parametrize("options", [{"threshold": 10**5000}, {"threshold": "x" * BIG}, {"threshold": math.nan},
                                     {"box_weight": 10**5000}, {"mask_weight": math.inf}, {"k" * BIG: 1},
                                     {"mask_weight": 10**400}, {"box_weight": -math.inf}], ids=short_id)
def test_plugin_heads_refuse_hostile_options_in_one_line(head, options):
    from cnnstudio.host.manager import get_plugin_manager

    with pytest.raises(ConfigError) as caught:
        get_plugin_manager().head(head).build((8, 2, 2), 2, {**options, "input_size": 64})
    assert "head.options." in message_ok(caught.value)


# ---- 3. the command line -----------------------------------------------------------------


@pytest.fixture
def no_training(monkeypatch):
    """``train`` checks everything, then stops where training would start."""
    started = []
    monkeypatch.setattr("cnnstudio.cli.train.run_training", lambda args, start: started.append(args) or cli.EXIT_OK)
    return started


def run_cli(argv: list[str]) -> tuple[int, list[str]]:
    err = io.StringIO()
    with redirect_stderr(err), redirect_stdout(io.StringIO()):
        code = cli.main(argv)
    return code, [line for line in err.getvalue().splitlines() if line.strip()]


def refused(argv: list[str]) -> str:
    code, lines = run_cli(argv)
    assert code == 2, (code, [line[:300] for line in lines])
    assert len(lines) == 1 and lines[0].startswith("cnnstudio: error: "), [line[:300] for line in lines]
    assert len(lines[0]) < MAX_MESSAGE + 60, lines[0][:400]
    return lines[0]


@pytest.mark.parametrize("argv, expected", [
    (["--option=count=inf"], "dataset.options.count"),
    (["--option=count=-inf"], "dataset.options.count"),
    (["--option=count=nan"], "dataset.options.count"),
    (["--option=count=" + "9" * 30], "dataset.options.count"),
    (["--option=count=" + "9" * 5000], "--option count"),
    (["--option=count=" + "[" * DEEP + "]" * DEEP], "--option count"),
    (["--option=count=" + "x" * BIG], "dataset.options.count"),
    (["--option=seed=" + str(10**30)], "dataset.options.seed"),
    (["--option=seed=-5"], "dataset.options.seed"),
    (["--option=seed=0.5"], "dataset.options.seed"),
    (["--option=difficulty=" + "x" * BIG], "dataset.options.difficulty"),
    (["--option=" + "k" * BIG + "=1"], "is not an option of retail.products"),
    (["--option=" + "x" * BIG], "must look like key=value"),
    (["--epochs=1000000000"], "training.epochs"),
    (["--epochs=0"], "training.epochs"),
    (["--epochs=" + "9" * 4000], "training.epochs"),
    (["--batch-size=-1"], "training.batch_size"),
    (["--lr=nan"], "training.lr"),
    (["--lr=inf"], "training.lr"),
    (["--lr=1e400"], "training.lr"),
    (["--lr=-1"], "training.lr"),
    (["--seed=" + str(10**30)], "seed"),
    (["--seed=-5"], "seed"),
    (["--threads=" + str(10**30)], "threads"),
    (["--dataset=" + "x" * BIG], "dataset.id"),
    (["--dataset=/" + "y" * 300], "File name too long"),
    (["--dataset=" + "z" * 200], "unknown dataset 'zzz"),
    (["--head=" + "h" * BIG], "head.id"),
    (["--head=" + "h" * 100], "unknown head"),
    (["--config=" + "c" * 5000], "cannot read config"),
], ids=short_id)
def test_hostile_train_flags_exit_2_in_one_line(no_training, argv, expected):
    assert expected in refused(["train", *argv])
    assert not no_training


def test_argparse_refusals_exit_2(no_training):
    for argv in (["--epochs=ten"], ["--lr=fast"], ["--seed=1.5"], ["--epochs=" + "9" * 5000]):
        with pytest.raises(SystemExit) as caught, redirect_stderr(io.StringIO()):
            cli.main(["train", *argv])
        assert caught.value.code == 2


@pytest.mark.parametrize("kind", ["inf", "nan", "huge_int", "deep_array", "deep_inline_table", "long_string"])
@pytest.mark.parametrize("command", ["train", "summary"])
def test_hostile_config_files_exit_2_in_one_line(tmp_path, no_training, command, kind):
    config = tmp_path / "config.toml"
    for path in [("training", "lr"), ("training", "weight_decay"), ("seed",), ("model", "conv_layers", 1, "padding"),
                 ("dataset", "id"), ("model", "pooling")]:
        config.write_text(toml_with(path, HOSTILE[kind]), encoding="utf-8")
        refused([command, f"--config={config}"])
    assert not no_training


@pytest.mark.parametrize("literal, expected", [
    ("inf", "dataset.options.count for retail.products must be int, got inf"),
    ("nan", "dataset.options.count must be a number, got nan"),
    ('"' + "x" * BIG + '"', "dataset.options.count for retail.products must be int"),
], ids=short_id)
def test_hostile_dataset_options_in_a_config_exit_2(tmp_path, no_training, literal, expected):
    config = tmp_path / "config.toml"
    config.write_text(f"[dataset.options]\ncount = {literal}\n", encoding="utf-8")
    assert expected in refused(["train", f"--config={config}"])


def test_unknown_head_options_exit_2_naming_the_key_and_the_known_ones(tmp_path, no_training, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('[head]\nid = "classification"\n[head.options]\ntreshold = 0.5\n', encoding="utf-8")
    line = refused(["summary", f"--config={config}"])
    assert "head.options.treshold is not an option of the classification head (options: global_pool, input_size)" in line
    config.write_text('[head.options]\nmask_wieght = 1.0\n', encoding="utf-8")
    assert "head.options.mask_wieght is not an option of the heatmap head" in refused(
        ["summary", "--head=heatmap", f"--config={config}"])
    # A head that declares its options is checked before the dataset loads.
    from cnnstudio.host.manager import get_plugin_manager

    manager = get_plugin_manager()
    declared = dataclasses.replace(manager.head("classification"), options=("global_pool",))
    monkeypatch.setitem(manager._heads, "classification", declared)
    config.write_text('[head]\nid = "classification"\n[head.options]\ntreshold = 0.5\n', encoding="utf-8")
    assert "head.options.treshold is not an option of the classification head" in refused(
        ["train", f"--config={config}"])
    assert not no_training


def test_a_valid_config_reaches_training(tmp_path, no_training):
    config = tmp_path / "config.toml"
    config.write_text('[head.options]\nglobal_pool = "avg"\n[model]\nconv_layers = [{out_channels = 8, padding = 3}]\n',
                      encoding="utf-8")
    code, lines = run_cli(["train", f"--config={config}", "--option=count=20", "--epochs=1", "--lr=0.01", "--seed=7"])
    assert (code, lines) == (0, [])
    assert len(no_training) == 1


OPTION_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["inf", "-inf", "nan", "1e400", "9" * 30, "-5", "0", "10", "200", "0.5", "true", "[1]", "{a=1}",
                     "[" * 300 + "]" * 300, "1979-05-27", '"text"', "easy", "hard", "x" * 10000]),
)


@settings(FUZZ, max_examples=60)
@given(key=st.sampled_from(["count", "size", "seed", "difficulty", "classes", "nope", ""]), value=OPTION_TEXT,
       flag=st.sampled_from(["--epochs", "--batch-size", "--lr", "--seed", "--threads"]),
       number=st.one_of(st.integers().map(str), st.floats().map(repr),
                        st.sampled_from(["nan", "inf", "-inf", "1e400", "9" * 40, "-0"])))
def test_generated_train_flags_never_crash(no_training, key, value, flag, number):
    argv = ["train", f"--option={key}={value}", f"{flag}={number}"]
    try:
        code, lines = run_cli(argv)
    except SystemExit as exit_:  # argparse refused the number (it prints its usage too)
        assert exit_.code == 2
        return
    assert code in (0, 2), (code, lines)
    assert len(lines) == (0 if code == 0 else 1), lines

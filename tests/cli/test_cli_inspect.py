"""`summary`, `plugins`, `datasets`, `gui`, option parsing, Ctrl+C and internal-error handling."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

import cnnstudio.cli.plugins as cli
from cnnstudio.cli.main import main
from cnnstudio.cli.train import parse_option
from cnnstudio.cli.training import StopOnInterrupt
from cnnstudio.core.errors import ConfigError

FLATTEN_MISTAKE = """\
[model]
input_size = 32
batch_norm = false
global_pool = "none"
flatten_features = 1024
conv_layers = [ { out_channels = 8 }, { out_channels = 16, pool = true } ]
"""


def test_summary_of_the_seed_preset_shows_the_layer_table(capsys):
    assert main(["summary", "--preset", "seed"]) == 0
    out = capsys.readouterr().out
    assert "conv1" in out and "pool2" in out and "flatten" in out and "fc" in out
    assert "16x16x16" in out and "4096" in out  # the inferred flatten size, not 16*8*8


def test_summary_explains_the_lessons_flatten_mistake_and_exits_non_zero(tmp_path, capsys):
    config = tmp_path / "simplecnn.toml"
    config.write_text(FLATTEN_MISTAKE, encoding="utf-8")
    assert main(["summary", "--config", str(config)]) == 2
    captured = capsys.readouterr()
    assert "conv1" in captured.out  # the table is still shown
    assert "cannot train" in captured.err and "flatten_features is 1024" in captured.err
    assert "4096" in captured.err and "40 rows" in captured.err


def test_summary_warns_about_unnormalised_inputs(tmp_path, capsys):
    config = tmp_path / "raw.toml"
    config.write_text("[model]\nnormalize_inputs = false\n", encoding="utf-8")
    assert main(["summary", "--config", str(config)]) == 0
    assert "not normalised" in capsys.readouterr().out


def test_plugins_json_lists_the_bundled_plugins(capsys):
    assert main(["plugins", "--json"]) == 0
    data = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    by_name = {plugin["name"]: plugin for plugin in data["plugins"]}
    assert "retail.products" in by_name["retail"]["datasets"]
    assert "classification" in by_name["cnnstudio"]["heads"]
    assert isinstance(data["failures"], list)


def test_plugins_text_shows_origin_and_what_each_adds(capsys):
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "retail" in out and "[builtin]" in out and "datasets: retail.products" in out


def test_datasets_lists_ids_and_options(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "retail.products" in out and "count=" in out


def test_gui_opens_the_window_and_closes_cleanly(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config")}
    process = subprocess.run([sys.executable, "-m", "cnnstudio", "gui", "--quit-after", "1500"],
                             capture_output=True, text=True, timeout=120, env=env)
    assert process.returncode == 0, process.stderr[-2000:]
    assert "Traceback" not in process.stderr, process.stderr[-4000:]  # the whole traceback, when one shows


def test_help_and_plugins_do_not_import_torch():
    # torch takes seconds to import: `cnnstudio --help` and `cnnstudio plugins` must not pay for it.
    code = (
        "import sys; from cnnstudio.cli.main import main; main(['plugins'])\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')"
    )
    process = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert process.returncode == 0, process.stderr
    assert process.stdout.strip().splitlines()[-1] == "NO-TORCH"


@pytest.mark.parametrize(
    "text, expected",
    [("count=200", ("count", 200)), ("difficulty=hard", ("difficulty", "hard")),
     ("scale=0.5", ("scale", 0.5)), ("flag=true", ("flag", True)), ("name='a b'", ("name", "a b"))],
)
def test_option_values_are_read_as_toml_literals_or_words(text, expected):
    assert parse_option(text) == expected


def test_option_without_equals_sign_is_a_config_error():
    with pytest.raises(ConfigError, match="key=value"):
        parse_option("count")


def test_first_ctrl_c_requests_a_stop_and_the_second_aborts():
    with StopOnInterrupt(sys.stderr) as stop:
        assert not stop.requested()
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.requested()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_unexpected_exception_is_one_line_with_the_traceback_in_the_log(monkeypatch, isolated_user_folders, capsys):
    def broken(args):
        raise ZeroDivisionError("demo bug")

    monkeypatch.setattr(cli, "cmd_plugins", broken)
    assert main(["plugins"]) == 3
    err = capsys.readouterr().err.strip()
    assert err.startswith("cnnstudio: internal error: ZeroDivisionError: demo bug (full traceback in ")
    assert "\n" not in err
    log = err.rsplit("full traceback in ", 1)[1].rstrip(")")
    assert log.startswith(str(isolated_user_folders)) and "ZeroDivisionError" in open(log).read()


def test_summary_with_a_plugin_head_lists_its_layers_and_no_flatten_advice(capsys):
    assert main(["summary", "--preset", "seed", "--head", "box"]) == 0
    out = capsys.readouterr().out
    assert "with the box head" in out and "head.box_conv" in out and "head.where_conv" in out
    assert "flattening too early" not in out and "flatten size" not in out
    assert main(["summary", "--preset", "seed"]) == 0  # a warning: the lesson's classifier flattens 4,096 values
    assert "flattening too early" in capsys.readouterr().out

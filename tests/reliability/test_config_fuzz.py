"""Config parsing never crashes: hostile config files, values and CLI flags give one short line naming
the field or file (a CNNStudioError, exit 2), never another exception (exit 3).

Three layers: a fixed corpus of hostile config files loaded with ``RunConfig.load``
(infinities, NaN, huge and negative numbers, wrong types, 5 MB strings and values
nested 5000 deep in every field, unknown sections, keys and head options, a huge
padding); hypothesis-generated values for every field through ``RunConfig.from_dict``
and ``RunConfig.load``; and the ``train`` and ``summary`` commands run in-process
with hostile flags. Training itself is replaced by a no-op, so a valid config
costs nothing.
"""

from __future__ import annotations

import dataclasses
import io
import math
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnstudio import cli
from cnnstudio.core.config import RunConfig
from cnnstudio.core.shorten import shown
from cnnstudio.errors import CNNStudioError, ConfigError
from cnnstudio.specs import DatasetOption, HeadSpec

BIG = 5_000_000  # characters of the huge strings
LONG = 200_000  # characters of the long strings put in every field (parsing 5 MB takes 0.3 s)
DEEP = 5000  # levels of the deeply nested values
MAX_MESSAGE = 300  # characters of an error message, besides the config file's own path
FUZZ = settings(derandomize=True, deadline=None, max_examples=150,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


def leaf_paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every field of a config dict, as a path of keys and list indexes."""
    if isinstance(value, dict) and value:
        return [path for key, item in value.items() for path in leaf_paths(item, (*prefix, key))]
    if isinstance(value, list) and value and prefix[-1] == "conv_layers":
        return [path for index, item in enumerate(value) for path in leaf_paths(item, (*prefix, index))]
    return [prefix]


DEFAULTS = RunConfig().to_dict()
FIELDS = leaf_paths(DEFAULTS) + [
    ("dataset", "options", "count"), ("dataset", "options", "seed"), ("head", "options", "threshold"),
]
OPTION_FIELDS = {path for path in FIELDS if "options" in path}


def set_path(data: Any, path: tuple, value: Any) -> Any:
    """A copy of ``data`` with ``value`` at ``path`` (only the containers on the path are copied:
    a value may be nested too deep for copy.deepcopy)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, list) and isinstance(head, int) and head < len(data):
        copied: Any = list(data)
    elif isinstance(data, dict):
        copied = dict(data)
    else:  # an earlier change put a scalar where this path needs a table
        copied = {}
    copied[head] = set_path(copied.get(head) if isinstance(copied, dict) else copied[head], rest, value)
    return copied


SENTINEL = "__HOSTILE_VALUE__"


def toml_with(path: tuple, literal: str) -> str:
    """The default config as TOML, with the field at ``path`` written as the raw TOML ``literal``."""
    text = tomli_w.dumps(set_path(DEFAULTS, path, SENTINEL))
    assert text.count(f'"{SENTINEL}"') == 1
    return text.replace(f'"{SENTINEL}"', literal)


# Raw TOML literals, by name. All of them are nonsense for every field but the options
# tables, whose values only the dataset or the head can judge (tested through the CLI).
HOSTILE = {
    "inf": "inf",
    "minus_inf": "-inf",
    "nan": "nan",
    "float_overflow": "1e400",  # TOML reads it as inf
    "huge_int": "9" * 30,
    "huge_negative_int": "-" + "9" * 30,
    "int_of_5000_digits": "9" * 5000,  # more digits than Python converts from text
    "deep_array": "[" * DEEP + "]" * DEEP,
    "deep_inline_table": "{a = " * DEEP + "1" + "}" * DEEP,
    "long_string": '"' + "x" * LONG + '"',
    "long_string_with_newlines": '"""' + "line\n" * (LONG // 5) + '"""',
}
# Plain wrong values: a field may accept some of them (a string field takes "text").
ODD = {
    "negative": "-5",
    "fraction": "3.5",
    "zero": "0",
    "boolean": "true",
    "text": '"text"',
    "empty_text": '""',
    "array": "[1, 2]",
    "inline_table": "{ a = 1 }",
    "date": "1979-05-27",
    "nested_20": "[" * 20 + "]" * 20,
}


def short_id(value: Any) -> str:
    """A short test id: the parameters hold 5 MB strings and 5000-digit numbers."""
    return shown(value, 24).replace(" ", "")


def message_ok(error: BaseException, source: str = "") -> str:
    text = str(error)
    assert "\n" not in text and "\r" not in text, text[:500]
    assert len(text) - len(source) < MAX_MESSAGE, text[:500]
    return text


def load_text(tmp_path: Path, text: str) -> tuple[RunConfig | None, str]:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    try:
        return RunConfig.load(path), ""
    except CNNStudioError as error:
        return None, message_ok(error, str(path))


# ---- 1. a corpus of hostile config files -----------------------------------------------


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_values_in_every_field_are_one_short_line(tmp_path, kind):
    for path in FIELDS:
        config, message = load_text(tmp_path, toml_with(path, HOSTILE[kind]))
        if path in OPTION_FIELDS and config is not None:
            continue  # the dataset or head judges its own options (see the CLI tests)
        assert config is None, f"{path} = {kind} was accepted"
        assert message.startswith(str(tmp_path / "config.toml")), message[:300]
        if kind not in ("deep_array", "deep_inline_table", "int_of_5000_digits"):
            # The TOML is readable, so the message names the field.
            named = ".".join(str(p) for p in path if not isinstance(p, int))
            assert named.split(".")[-1] in message or named.split(".")[0] in message, (path, message)


@pytest.mark.parametrize("path", [("dataset", "id"), ("head", "id"), ("model", "preset"), ("model", "pooling"),
                                  ("model", "conv_layers", 1, "padding"), ("training", "lr"), ("device",),
                                  ("dataset", "options", "count")], ids=short_id)
def test_5mb_strings_are_not_echoed(tmp_path, path):
    config, message = load_text(tmp_path, toml_with(path, '"' + "x" * BIG + '"'))
    assert (config is None) != (path in OPTION_FIELDS), message
    assert message.count("x") <= 60


@pytest.mark.parametrize("kind", list(ODD))
def test_odd_values_in_every_field_load_or_are_one_short_line(tmp_path, kind):
    for path in FIELDS:
        load_text(tmp_path, toml_with(path, ODD[kind]))


@pytest.mark.parametrize("literal", ["[" * DEEP + "]" * DEEP, "{a = " * DEEP + "1" + "}" * DEEP], ids=["array", "table"])
def test_nesting_thousands_deep_names_the_file(tmp_path, literal):
    config, message = load_text(tmp_path, f"seed = 0\n[dataset.options]\nx = {literal}\n")
    assert config is None
    assert message.startswith(str(tmp_path / "config.toml")) and "nested too deeply" in message


def test_option_values_nested_too_deep_for_a_run_folder_are_refused(tmp_path):
    config, message = load_text(tmp_path, "[dataset.options]\nx = " + "[" * 40 + "]" * 40 + "\n")
    assert config is None and "dataset.options.x" in message and "nested" in message


@pytest.mark.parametrize("text, expected", [
    ("[nonsense]\na = 1\n", "nonsense is not a config field"),
    ("[training]\nfoo = 1\n", "training.foo is not a config field"),
    ("[training.lr]\nx = 1\n", "training.lr must be a finite number"),
    ("[model]\nconv_layers = [{out_channels = 8, kernel = 3, padding = 1, extra = 1}]\n",
     "model.conv_layers[0].extra is not a config field"),
    ('"' + "k" * BIG + '" = 1\n', "is not a config field"),
    ("[dataset]\n" + '"' + "k" * BIG + '" = 1\n', "dataset.kkkk"),
    ("[dataset]\nid = 5\n", "dataset.id must be a dataset id or a folder path, got 5"),
    ("[dataset]\nid = \"a\\u0000b\"\n", "dataset.id must be a dataset id or a folder path"),
    ("[dataset]\noptions = 5\n", "dataset.options must be a table, got 5"),
    ("[head]\noptions = [1]\n", "head.options must be a table"),
    ("[head]\nid = 5\n", "head.id must be a string"),
    ("seed = -5\n", "seed must be >= 0"),
    ("seed = 1e30\n", "seed must be <= 9223372036854775807"),
    ("seed = 0.5\n", "seed must be a whole number"),
    ("seed = " + "1" * 40 + "\n", "seed must be <="),
    ("[training]\nweight_decay = inf\n", "training.weight_decay must be a finite number, got inf"),
    ("[training]\nweight_decay = nan\n", "training.weight_decay must be a finite number, got nan"),
    ("[training]\nweight_decay = -0.1\n", "training.weight_decay must be >= 0"),
    ("[training]\nlr = 1e400\n", "training.lr must be a finite number"),
    ("[training]\nlr = " + "9" * 400 + "\n", "training.lr must be > 0 and <= 10, got a number of about 400 digits"),
    ("[training]\nval_fraction = nan\n", "training.val_fraction must be a finite number"),
    ("[training]\ntest_fraction = -inf\n", "training.test_fraction must be a finite number"),
    ("[training]\nepochs = 1000000000\n", "training.epochs must be <= 100000"),
    ("[training]\npatience = 1000000000\n", "training.patience must be <= 100000"),
    ("[model]\ndropout = inf\n", "model.dropout must be a finite number"),
    ("[model]\nflatten_features = " + "9" * 30 + "\n", "model.flatten_features must be <="),
    ("[model]\npreset = \"" + "p" * 1000 + "\"\n", "model.preset must be a name"),
    ("[model]\nconv_layers = []\n", "model.conv_layers needs at least one conv layer"),
    ("[model]\nconv_layers = [" + "{out_channels = 8}, " * 101 + "]\n", "at most 100 layers"),
    ("[[model.conv_layers]]\nout_channels = 8\n[[model.conv_layers]]\nout_channels = 8\n"
     "[[model.conv_layers]]\nout_channels = 8\nkernel = 3\npadding = 5000\n",
     "model.conv_layers[2].padding must be -1 (same) or between 0 and the kernel size 3, got 5000"),
    ("[model]\nconv_layers = [{out_channels = 8, kernel = 3, padding = -2}]\n", "model.conv_layers[0].padding"),
    ("[model]\nconv_layers = [{out_channels = 8, kernel = 1, padding = 2}]\n", "the kernel size 1, got 2"),
    ("[dataset.options]\ncount = " + "9" * 30 + "\n", "dataset.options.count must fit in 64 bits"),
    ("[dataset.options]\ncount = nan\n", "dataset.options.count must be a number, got nan"),
    ("[head.options]\nweight = " + "9" * 30 + "\n", "head.options.weight must fit in 64 bits"),
    ("x = " + "9" * 5000 + "\n", "is not a valid config"),
    ("\x00", "is not valid TOML"),
], ids=short_id)
def test_hostile_config_files_name_the_field(tmp_path, text, expected):
    config, message = load_text(tmp_path, text)
    assert config is None and expected in message, message[:400]


@pytest.mark.parametrize("padding", [-1, 0, 1, 2, 3])
def test_padding_up_to_the_kernel_size_is_valid(tmp_path, padding):
    config, message = load_text(tmp_path, f"[model]\nconv_layers = [{{out_channels = 8, kernel = 3, padding = {padding}}}]\n")
    assert config is not None, message
    assert config.model.conv_layers[0].padding == padding


def test_unreadable_config_paths_are_one_line(tmp_path):
    for path in (tmp_path / ("n" * 5000), tmp_path / "missing.toml", tmp_path, Path(str(tmp_path) + "/a\0b")):
        with pytest.raises(ConfigError) as caught:
            RunConfig.load(path)
        message_ok(caught.value, "")


def test_a_dataset_id_too_long_for_the_file_system_is_one_line(tmp_path):
    for dataset_id in ("d" * 300, "./" + "d" * 300, "folder:/" + "d" * 4000):
        config, message = load_text(tmp_path, f'[dataset]\nid = "{dataset_id}"\n')
        assert config is not None, message  # a name, not a crash; the host says it is not there
        from cnnstudio.plugins import get_plugin_manager

        with pytest.raises(CNNStudioError) as caught:
            get_plugin_manager().dataset(config.dataset.id)
        assert len(str(caught.value)) < MAX_MESSAGE


# ---- 2. generated values for every field --------------------------------------------------

SPECIAL_NUMBERS = [0, -1, 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**30, -(10**30),
                   math.inf, -math.inf, math.nan, 1e308, -0.0, 5e-324, 0.5, 0.999999, 1.0]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from(SPECIAL_NUMBERS),
    st.sampled_from([1, -1]).map(lambda sign: sign * 10**5000),  # built: hypothesis reprs its sampled values
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.just(BIG).map(lambda size: "x" * size),
    st.sampled_from(["", " ", "\n", "a\0b", "max", "relu", "adam", "cpu", "classification",
                     "retail.products", "/", "folder:", "..", "~"]),
)


def deeply_nested(depth: int, kind: str) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


VALUES = st.one_of(
    SCALARS,
    st.recursive(SCALARS, lambda children: st.lists(children, max_size=3)
                 | st.dictionaries(st.text(max_size=5), children, max_size=3), max_leaves=6),
    st.builds(deeply_nested, st.sampled_from([17, 100, DEEP]), st.sampled_from(["list", "dict"])),
)
CHANGES = st.lists(st.tuples(st.sampled_from(FIELDS), VALUES), min_size=1, max_size=3)


def config_or_error(data: Any) -> RunConfig | None:
    try:
        return RunConfig.from_dict(data)
    except CNNStudioError as error:
        message_ok(error)
        return None


@FUZZ
@given(changes=CHANGES)
def test_generated_field_values_are_valid_or_one_short_line(changes):
    data = DEFAULTS
    for path, value in changes:
        data = set_path(data, path, value)
    config = config_or_error(data)
    if config is not None:
        # What validates is sane: finite numbers, seeds and counts torch and numpy take.
        for path in leaf_paths(config.to_dict()):
            value = config.to_dict()
            for part in path:
                value = value[part]
            if "options" in path:
                continue  # the dataset or head judges its own options
            if isinstance(value, float):
                assert math.isfinite(value), (path, value)
            if isinstance(value, int):
                assert -1 <= value < 2**63, (path, value)
        # A config that validates can be written to a run folder and read back as it was.
        again = RunConfig.from_toml(config.to_toml())
        assert again.to_toml() == config.to_toml()


@FUZZ
@given(section=st.sampled_from(["dataset", "model", "head", "training", "conv"]),
       data=st.one_of(VALUES, st.dictionaries(st.text(max_size=8), VALUES, max_size=4)))
def test_generated_sections_are_valid_or_one_short_line(section, data):
    if section == "conv":
        config_or_error({"model": {"conv_layers": [data]}})
    else:
        config_or_error({section: data})
    config_or_error(data)


@settings(FUZZ, max_examples=80)
@given(changes=CHANGES)
def test_generated_config_files_load_or_are_one_short_line(changes):
    data = DEFAULTS
    for path, value in changes:
        data = set_path(data, path, value)
    try:
        text = tomli_w.dumps(data)
    except (TypeError, ValueError, RecursionError):
        return  # None, a NUL, numbers TOML cannot hold: no TOML file says that
    with tempfile.TemporaryDirectory() as folder:
        load_text(Path(folder), text)


def test_shown_is_short_and_never_raises():
    for value in ["x" * BIG, 10**5000, -(10**5000), deeply_nested(DEEP, "list"), deeply_nested(DEEP, "dict"),
                  [10**5000], "a\nb", math.nan, b"\xff" * 1000, object()]:
        text = shown(value)
        assert len(text) <= 61 and "\n" not in text


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
    from cnnstudio.core.heads import build_classification_head

    build_classification_head((8, 2, 2), 2, {"global_pool": "max", "input_size": 64})
    with pytest.raises(ConfigError, match=r"head.options.treshold is not an option of the classification head "
                                          r"\(options: global_pool, input_size\)"):
        build_classification_head((8, 2, 2), 2, {"treshold": 0.5})


@pytest.mark.parametrize("head", ["heatmap", "box"])
@pytest.mark.parametrize("options", [{"threshold": 10**5000}, {"threshold": "x" * BIG}, {"threshold": math.nan},
                                     {"box_weight": 10**5000}, {"mask_weight": math.inf}, {"k" * BIG: 1},
                                     {"mask_weight": 10**400}, {"box_weight": -math.inf}], ids=short_id)
def test_plugin_heads_refuse_hostile_options_in_one_line(head, options):
    from cnnstudio.plugins import get_plugin_manager

    with pytest.raises(ConfigError) as caught:
        get_plugin_manager().head(head).build((8, 2, 2), 2, {**options, "input_size": 64})
    assert "head.options." in message_ok(caught.value)


# ---- 3. the command line -----------------------------------------------------------------


@pytest.fixture
def no_training(monkeypatch):
    """``train`` checks everything, then stops where training would start."""
    started = []
    monkeypatch.setattr(cli, "_run_training", lambda args, start: started.append(args) or cli.EXIT_OK)
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
    from cnnstudio.plugins import get_plugin_manager

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

"""The command registry: ``COMMAND_MODULES`` registers every command, one per module, in the help's order."""

from __future__ import annotations

import argparse

import pytest

from cnnstudio.cli.main import COMMAND_MODULES, build_parser

COMMANDS = ["train", "resume", "evaluate", "predict", "threshold", "summary", "plugins", "datasets", "gui",
            "export", "report", "compare"]


def sub_commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The sub-parsers of ``parser`` by name, in the order they were added."""
    (action,) = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    return dict(action.choices)


def test_the_parser_has_exactly_the_commands_of_the_help_in_its_order():
    assert list(sub_commands(build_parser())) == COMMANDS


def test_the_help_lists_the_commands_in_the_registrys_order():
    help_text = build_parser().format_help()
    positions = [help_text.index(f"\n    {name}") for name in COMMANDS]
    assert positions == sorted(positions)


def test_the_registry_holds_one_module_per_command_named_after_it():
    assert [module.__name__ for module in COMMAND_MODULES] == [f"cnnstudio.cli.{name}" for name in COMMANDS]


@pytest.mark.parametrize("module", COMMAND_MODULES, ids=lambda module: module.__name__.rsplit(".", 1)[1])
def test_each_command_module_adds_exactly_one_command_with_its_own_handler(module):
    parser = argparse.ArgumentParser(prog="cnnstudio")
    module.add_command(parser.add_subparsers(dest="command"))
    added = sub_commands(parser)
    assert list(added) == [module.__name__.rsplit(".", 1)[1]]
    handler = next(iter(added.values())).get_default("handler")
    assert callable(handler) and handler.__module__ == module.__name__

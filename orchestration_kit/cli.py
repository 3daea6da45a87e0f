"""The ``orchestration-kit`` command: one entry point, one module per subcommand.

    orchestration-kit serve            # the simulated models over an OpenAI-compatible API
    orchestration-kit usage            # a classroom server's usage per learner
    orchestration-kit check FILE.ipynb # grade a learner's notebook
    orchestration-kit doctor           # is this machine ready for the course?

Each subcommand lives in its own module and is imported only when used, so
``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> (module that defines add_arguments(parser) and main(args), one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "doctor": ("orchestration_kit.course.doctor", "check that this machine is ready for the course"),
    "check": ("orchestration_kit.grading.shell", "grade learners' notebooks, one or a whole class, under hard limits"),
    "serve": ("orchestration_kit.serve.command", "serve the simulated models over an OpenAI-compatible API on 127.0.0.1"),
    "usage": ("orchestration_kit.serve.usage", "show a classroom server's usage per learner (the instructor's view)"),
    "llm": ("orchestration_kit.serve.local_llm", "serve a real small LLM (SmolLM2-135M) offline on 127.0.0.1"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="orchestration-kit", description="Orchestration Patterns course kit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=help_text)
        sub.set_defaults(_module=module_name)
        _module(module_name).add_arguments(sub)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return int(_module(args._module).main(args) or 0)


def _module(name: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(name)


if __name__ == "__main__":
    sys.exit(main())

"""``vamos build-olx``: Open edX courses (OLX folder + ``.tar.gz``) from the course content. Logic: ``vamos_core.olx``."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

from vamos_core.olx import DEFAULT_ORG, DEFAULT_RUN, write_courses

from .module_selection import add_selection_arguments, selected_modules

_KEY_PART = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def _key_part(value: str) -> str:
    if not _KEY_PART.match(value):
        raise argparse.ArgumentTypeError(f"'{value}' may only contain letters, digits, '_', '.' and '-'")
    return value


def cmd_build_olx(args: argparse.Namespace) -> int:
    modules = selected_modules(args)
    if modules is None:
        return 1
    for course in write_courses(modules, Path(args.output), org=args.org, run=args.run):
        print(f"ok {course.module_id}: {course.directory} ({len(course.files)} files), {course.archive}")
    return 0


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser(
        "build-olx", help="write one Open edX course (OLX folder and .tar.gz for Studio import) per module")
    add_selection_arguments(parser)
    parser.add_argument("--org", default=DEFAULT_ORG, type=_key_part, help=f"course organisation (default {DEFAULT_ORG})")
    parser.add_argument("--run", default=DEFAULT_RUN, type=_key_part, help=f"course run (default {DEFAULT_RUN})")
    parser.set_defaults(func=cmd_build_olx)

"""``vamos build-olx``: Open edX courses (OLX folder + ``.tar.gz``) from the course content. Logic: ``vamos_core.olx``."""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from vamos_core.content import default_content_dir, validate_paths
from vamos_core.olx import DEFAULT_ORG, DEFAULT_RUN, write_courses

_KEY_PART = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def _key_part(value: str) -> str:
    if not _KEY_PART.match(value):
        raise argparse.ArgumentTypeError(f"'{value}' may only contain letters, digits, '_', '.' and '-'")
    return value


def cmd_build_olx(args: argparse.Namespace) -> int:
    content = Path(args.content) if args.content else default_content_dir()
    if args.from_lti:
        # Modules trainers published in the LTI tool's browser editor (loaded by the same core loader).
        import tempfile

        from lti_tool.authoring.directory import published_modules

        modules, problems = published_modules(args.from_lti, Path(tempfile.mkdtemp(prefix="vamos-olx-")), args.module), []
        content = Path(args.from_lti.split("@")[-1])
    else:
        modules, problems = validate_paths([content])
    by_id = {m.id: m for m in modules}
    wanted = args.module or sorted(by_id)
    relevant = [p for p in problems if not args.module or any(f"/{m}/" in f"/{p}" for m in args.module)]
    missing = [m for m in wanted if m not in by_id]
    for problem in sorted(set(relevant)):
        print(problem, file=sys.stderr)
    if missing or relevant:
        for module_id in missing:
            print(f"module '{module_id}' is not available (missing or invalid) in {content}", file=sys.stderr)
        print("nothing built: fix the content first (vamos validate)", file=sys.stderr)
        return 1
    for course in write_courses([by_id[m] for m in wanted], Path(args.output), org=args.org, run=args.run):
        print(f"ok {course.module_id}: {course.directory} ({len(course.files)} files), {course.archive}")
    return 0


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser(
        "build-olx", help="write one Open edX course (OLX folder and .tar.gz for Studio import) per module")
    parser.add_argument("--module", action="append", metavar="ID", help="module id (repeatable); default: all modules")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--content", metavar="DIR", help="content root (default: VAMOS_CONTENT_DIR or the packaged content)")
    parser.add_argument("--from-lti", metavar="DATABASE_URL",
                        help="build the modules published in the LTI tool's editor (e.g. $VAMOS_DATABASE_URL) instead of files")
    parser.add_argument("--org", default=DEFAULT_ORG, type=_key_part, help=f"course organisation (default {DEFAULT_ORG})")
    parser.add_argument("--run", default=DEFAULT_RUN, type=_key_part, help=f"course run (default {DEFAULT_RUN})")
    parser.set_defaults(func=cmd_build_olx)

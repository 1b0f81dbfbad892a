"""``--module``/``--content`` of the build commands: the valid modules asked for, or the problems printed."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vamos_core.content import default_content_dir, validate_paths
from vamos_core.model import Module


def selected_modules(args: argparse.Namespace) -> list[Module] | None:
    """The modules of ``args.module`` (all when empty) from ``args.content`` — or, with ``--from-lti``, the modules
    trainers published in the LTI tool's editor; None after printing why not."""
    if getattr(args, "from_lti", None):
        import tempfile

        from lti_tool.authoring.directory import published_modules  # only when asked: the LTI extra is optional

        content = Path("LTI database")
        modules, problems = published_modules(args.from_lti, Path(tempfile.mkdtemp(prefix="vamos-build-")), args.module), []
    else:
        content = Path(args.content) if args.content else default_content_dir()
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
        return None
    return [by_id[m] for m in wanted]


def add_selection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--module", action="append", metavar="ID", help="module id (repeatable); default: all modules")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--content", metavar="DIR", help="content root (default: VAMOS_CONTENT_DIR or the packaged content)")
    parser.add_argument("--from-lti", metavar="DATABASE_URL",
                        help="the modules published in the LTI tool's editor (e.g. $VAMOS_DATABASE_URL) instead of files")

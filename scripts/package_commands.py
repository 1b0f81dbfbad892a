"""``vamos build-package``: cmi5 and SCORM 2004 packages of the modules. Logic: ``vamos_core.packages``."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from vamos_core.packages import FORMATS, PackageOptions, write_package
from vamos_core.xapi import DEFAULT_ACTIVITY_BASE

from .module_selection import add_selection_arguments, selected_modules


def _iri(value: str) -> str:
    if not value.startswith(("https://", "http://", "urn:")) or any(c.isspace() for c in value):
        raise argparse.ArgumentTypeError(f"'{value}' ist keine absolute IRI (https://… oder urn:…)")
    return value


def _url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise argparse.ArgumentTypeError(f"'{value}' ist keine http(s)-Adresse")
    return value


def cmd_build_package(args: argparse.Namespace) -> int:
    modules = selected_modules(args)
    if modules is None:
        return 1
    options = PackageOptions(activity_base=args.activity_base, certificate_url=args.certificate_url)
    for module in modules:
        built = write_package(module, args.format, Path(args.output), options)
        print(f"ok {built.module_id}: {built.archive} ({len(built.files)} files, {args.format})")
    return 0


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser(
        "build-package", help="write one self-contained cmi5 or SCORM 2004 package (.zip) per module")
    parser.add_argument("--format", required=True, choices=FORMATS, help="package standard")
    add_selection_arguments(parser)
    parser.add_argument("--activity-base", type=_iri,
                        default=os.environ.get("VAMOS_XAPI_ACTIVITY_BASE") or DEFAULT_ACTIVITY_BASE,
                        help="start of the xAPI activity ids (default VAMOS_XAPI_ACTIVITY_BASE or "
                             f"{DEFAULT_ACTIVITY_BASE}; the same as the LTI tool's)")
    parser.add_argument("--certificate-url", type=_url, help="link to the LTI tool's certificates (default: none)")
    parser.set_defaults(func=cmd_build_package)

"""What both package tests need from a test LMS: the built package unpacked, and served over HTTP with the LMS's
own routes."""
from __future__ import annotations

import zipfile
from pathlib import Path

from flask import Flask, send_from_directory

from lti_tool.demo_platform.run import ServerThread
from vamos_core.model import Module
from vamos_core.packages import write_package


def unpacked(module: Module, fmt: str, tmp_path: Path) -> Path:
    """Build the module's package with ``write_package`` (the CLI's code path) and unzip it as an LMS imports it."""
    built = write_package(module, fmt, tmp_path / "out")
    folder = tmp_path / f"pkg-{fmt}"
    with zipfile.ZipFile(built.archive) as archive:
        archive.extractall(folder)
    return folder


def serve(app: Flask, package_dir: Path) -> ServerThread:
    """Start ``app`` (the LMS's routes) on 127.0.0.1 with the package below ``/pkg/``."""
    @app.get("/pkg/<path:name>")
    def pkg(name):
        return send_from_directory(package_dir, name)

    server = ServerThread()
    server.app = app
    server.start()
    return server

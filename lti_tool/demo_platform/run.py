"""Start the tool and the demo platform side by side (``vamos demo``; also used by the tests).

The platform is served as ``localhost`` and the tool as ``127.0.0.1``: two different sites, so a
browser treats the tool's iframe as third-party, as it would be in a real LMS.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from werkzeug.serving import make_server

from .. import registrations
from ..app import create_app
from ..config import ToolConfig
from .platform import DemoPlatform, create_demo_platform_app


class ServerThread(threading.Thread):
    """A real HTTP server (werkzeug, threaded) on 127.0.0.1 in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(daemon=True)
        self.app = None
        self.server = make_server(host, port, self._dispatch, threaded=True)
        # Do not wait for idle keep-alive connections of clients when stopping.
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.port = self.server.server_port

    def _dispatch(self, environ, start_response):
        return self.app(environ, start_response)

    def run(self) -> None:
        self.server.serve_forever(poll_interval=0.05)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def register_demo_platform(tool_app, platform: DemoPlatform) -> str:
    """Register the platform (and its deployment) in the tool's database; returns the registration id."""
    with tool_app.extensions["vamos"].db.session() as s:
        reg = registrations.add_platform(
            s,
            issuer=platform.issuer,
            client_id=platform.client_id,
            auth_login_url=platform.auth_url,
            auth_token_url=platform.token_url,
            key_set_url=platform.jwks_url,
            deployment_ids=[platform.deployment_id],
            name="Demo-Lernplattform (nur Entwicklung)",
        )
        return reg.id


def add_catalog_links(platform: DemoPlatform, catalog) -> None:
    for module in catalog:
        platform.add_link(f"link-{module.id}", module.title, module.id)
    platform.add_link("link-ohne-modul", "Link ohne zugeordnetes Modul", None)


@dataclass
class Demo:
    tool_server: ServerThread
    platform_server: ServerThread
    platform: DemoPlatform
    tool_app: object

    @property
    def tool_url(self) -> str:
        return f"http://127.0.0.1:{self.tool_server.port}"

    @property
    def platform_url(self) -> str:
        return self.platform.issuer

    def stop(self) -> None:
        self.platform_server.stop()
        self.tool_server.stop()


def start_demo(config: ToolConfig, tool_port: int = 0, platform_port: int = 0, platform_host: str = "localhost",
               start: bool = True) -> Demo:
    """Tool and demo platform wired to each other. ``start=False`` leaves the servers stopped, so a caller (the
    tests) can wrap their WSGI apps first."""
    tool_server = ServerThread("127.0.0.1", tool_port)
    platform_server = ServerThread("127.0.0.1", platform_port)
    tool_app = create_app(config)
    platform = DemoPlatform(
        issuer=f"http://{platform_host}:{platform_server.port}",
        tool_url=f"http://127.0.0.1:{tool_server.port}",
    )
    add_catalog_links(platform, tool_app.extensions["vamos"].catalog)
    register_demo_platform(tool_app, platform)
    tool_server.app = tool_app
    platform_server.app = create_demo_platform_app(platform)
    if start:
        tool_server.start()
        platform_server.start()
    return Demo(tool_server, platform_server, platform, tool_app)

"""VAMOs LTI 1.3 tool: a thin Flask adapter over vamos_core (see docs/lti.md)."""


def create_app(*args, **kwargs):
    from .app import create_app as _create_app

    return _create_app(*args, **kwargs)


__all__ = ["create_app"]

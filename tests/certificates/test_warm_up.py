"""The certificate warm-up: a process prepares fonts before its first learner needs a certificate (issue 20's
load test: the first certificate of each tool process cost a learner's quiz submission about a second)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from vamos_core import certificates

PROBE = """
import json, sys
from vamos_core.certificates import fonts, pdf
if sys.argv[1] == "warm":
    pdf.warm_up()
print(json.dumps({"faces": fonts.find_face.cache_info().currsize, "prototypes": len(pdf._PROTOTYPES)}))
"""


def _state(mode: str) -> dict:
    # A fresh interpreter: this test process may already have rendered certificates.
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_warm_up_prepares_the_fonts_in_a_fresh_process():
    assert _state("cold") == {"faces": 0, "prototypes": 0}
    warm = _state("warm")
    assert warm["faces"] >= 1 and warm["prototypes"] >= 1


@pytest.mark.parametrize("setting, expected", [(True, 1), (False, 0)])
def test_the_tool_warms_up_per_process_when_configured(tmp_path, monkeypatch, setting, expected):
    from lti_tool.app import create_app

    calls = []
    monkeypatch.setattr(certificates, "warm_up", lambda: calls.append(1))
    app = create_app(instance_dir=tmp_path, secret_key="x" * 32, warm_up=setting)
    assert len(calls) == expected
    compiled = app.jinja_env.cache  # the templates compiled at start
    assert (len(compiled) > 20) == setting


def test_a_failing_warm_up_does_not_stop_the_tool(tmp_path, monkeypatch, caplog):
    """Fonts missing on a host: the tool starts (certificates say why when issued), the log names the cause."""
    from lti_tool.app import create_app

    def missing():
        raise certificates.MissingFontError("no font for Arabic")

    monkeypatch.setattr(certificates, "warm_up", missing)
    app = create_app(instance_dir=tmp_path, secret_key="x" * 32, warm_up=True, log_level="WARNING")
    assert app.test_client().get("/healthz").status_code == 200
    assert "MissingFontError" in caplog.text

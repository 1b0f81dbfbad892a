"""Run one LTI tool process for the cross-process tests: ``python tool_process.py PORT``.

Configuration comes from the environment (VAMOS_DATABASE_URL, VAMOS_REDIS_URL, …), exactly as
in production; prints READY when it listens.
"""
import sys

from werkzeug.serving import make_server

from lti_tool import create_app

if __name__ == "__main__":
    app = create_app()
    server = make_server("127.0.0.1", int(sys.argv[1]), app, threaded=True)
    print("READY", server.server_port, flush=True)
    server.serve_forever()

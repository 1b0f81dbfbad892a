"""Start Ralph's LRS API (uvicorn) with its filesystem backend appending to one statements file.

Why a launcher: in ralph-malph 5.1 the filesystem LRS backend (``ralph.backends.lrs.fs.FSLRSBackend``) writes
with its data backend's default operation type ``CREATE``, which refuses every write once the statements file
exists ("already exists and overwrite is not allowed"), so only the first POST would be stored. The data
backend documents ``APPEND`` ("creates or appends data to an existing record") for exactly this; we make it the
default before the app is imported. Everything else — validation, duplicate-id handling (204 for the same
statement, 409 for a different one), auth — is Ralph's own code, unchanged.

Usage: python -m tests.xapi.run_ralph HOST PORT (settings from RALPH_* environment variables).
"""
import sys

from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

if __name__ == "__main__":
    import uvicorn

    uvicorn.run("ralph.api:app", host=sys.argv[1], port=int(sys.argv[2]), log_level="warning")

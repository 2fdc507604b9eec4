"""``facedesk serve``: Rekognition's JSON 1.1 HTTP API over a local database.

Unmodified boto3 (``endpoint_url=...``) and the AWS CLI (``--endpoint-url``) talk to it.
An adapter beside ``facedesk.cli``: wire format in ``wire``, SigV4 in ``auth``, the Starlette
app in ``app``, uvicorn in ``server``. Importing this package loads neither Starlette nor
uvicorn (they come with ``pip install 'facedesk[serve]'``).
"""

from __future__ import annotations

from facedesk.serve.command import COMMAND, ServeCommand

__all__ = ["COMMAND", "ServeCommand"]

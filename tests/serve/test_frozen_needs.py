"""What the desktop install must bundle for ``facedesk serve``, checked without a build.

packaging/hooks/hook-botocore.py ships botocore without its data folder, and
hook-uvicorn.py lists the modules uvicorn and anyio import by name. A real serve run in a
fresh interpreter (signed request, a success and a ClientError) must open no file of
botocore's data, and every loop, protocol, lifespan and anyio backend module it imported
must be in the hook's list. The frozen smoke test (packaging/smoke_test.py) checks the
built bundle itself.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_SCRIPT = r"""
import json, sys
opened = []
sys.addaudithook(
    lambda event, args: opened.append(str(args[0]))
    if event == "open" and isinstance(args[0], (str, bytes)) else None
)
import http.client
import facedesk
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from facedesk.serve.app import ServeConfig
from facedesk.serve.auth import Credentials
from facedesk.serve.server import start_in_thread

creds = Credentials("FDSKFROZENNEEDS00000", "frozen-needs-secret")
client = facedesk.client(database=sys.argv[1])
statuses = []
with start_in_thread(client, ServeConfig(credentials=creds)) as running:
    conn = http.client.HTTPConnection("127.0.0.1", running.port)
    for target, body in [
        ("CreateCollection", b'{"CollectionId": "c"}'),
        ("ListFaces", b'{"CollectionId": "c"}'),
        ("DescribeCollection", b'{"CollectionId": "missing"}'),
    ]:
        request = AWSRequest(
            method="POST", url=f"{running.url}/", data=body,
            headers={"X-Amz-Target": f"RekognitionService.{target}",
                     "Content-Type": "application/x-amz-json-1.1"},
        )
        SigV4Auth(BotoCredentials(creds.access_key_id, creds.secret_access_key),
                  "rekognition", "us-east-1").add_auth(request)
        conn.request("POST", "/", body=body, headers=dict(request.headers.items()))
        response = conn.getresponse()
        statuses.append([response.status, json.loads(response.read()).get("__type")])
    conn.close()
client.close()
prefixes = ("uvicorn.loops.", "uvicorn.protocols.", "uvicorn.lifespan.", "anyio._backends.")
print(json.dumps({
    "statuses": statuses,
    "botocore_data": [p for p in opened if "botocore" in p and "/data/" in p],
    "by_name": sorted(m for m in sys.modules if m.startswith(prefixes)),
}))
"""


def _hidden_imports(hook: Path) -> set[str]:
    for node in ast.walk(ast.parse(hook.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "hiddenimports":
            return set(ast.literal_eval(node.value))
    raise AssertionError(f"{hook} sets no hiddenimports")


def test_serve_reads_no_botocore_data_and_the_hook_lists_its_by_name_imports(
    tmp_path: Path,
) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(tmp_path / "needs.db")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["statuses"] == [
        [200, None],
        [200, None],
        [400, "ResourceNotFoundException"],
    ]
    assert seen["botocore_data"] == []
    listed = _hidden_imports(REPO / "packaging" / "hooks" / "hook-uvicorn.py")
    assert seen["by_name"], "the run imported no loop or protocol module: test is stale"
    # PyInstaller follows a listed module's own imports and takes its parent packages.
    covered = listed | {name for m in listed for name in _static_imports(m)}
    missing = [
        m
        for m in seen["by_name"]
        if m not in covered and not any(c.startswith(m + ".") for c in covered)
    ]
    assert missing == []


def _static_imports(module: str) -> set[str]:
    """Absolute module names a module's source imports (as PyInstaller's graph sees them)."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, module
    names: set[str] = set()
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names

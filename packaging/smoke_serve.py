"""The frozen smoke test's ``facedesk serve`` step (packaging/smoke_test.py step 3).

Standard library only, like the smoke test: the request is signed here with hashlib/hmac,
so this runs under any Python, and the frozen server's botocore-based verification is
checked against an independent client-side signature.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any


class ServeFailure(RuntimeError):
    pass


def serve_signed_request(
    cli: Path, env: dict[str, str], database: Path, broken: re.Pattern[str]
) -> dict[str, Any]:
    """``facedesk-cli serve`` (frozen) on a free port: a SigV4-signed ListCollections must
    list the collection step 3 made, a wrong signature must get Rekognition's
    InvalidSignatureException, and Ctrl+C (SIGINT) must stop it with no process left."""
    import http.client
    import queue
    import signal
    import threading

    key, secret = "FDSKSMOKETEST0000000", "smoke-test-secret"
    serve_env = dict(env, FACEDESK_ACCESS_KEY_ID=key, FACEDESK_SECRET_ACCESS_KEY=secret)
    cmd = [str(cli), "--database", str(database), "serve", "--port", "0"]
    print("+", " ".join(cmd), flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        env=serve_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Its own process group on Windows, so CTRL_BREAK reaches it alone.
        creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    out: list[str] = []
    try:
        url = ""
        while True:
            line = lines.get(timeout=120)
            if line is None:
                code = proc.wait()
                stderr = proc.stderr.read() if proc.stderr else ""
                raise ServeFailure(f"frozen serve exited {code}:\n{''.join(out)}{stderr[-3000:]}")
            out.append(line)
            if "listening on " in line:
                url = line.split("listening on ", 1)[1].strip()
            if "ready" in line:
                break
        started_s = time.perf_counter() - start
        host, port = url.removeprefix("http://").rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        body = b"{}"
        headers = sigv4_headers(key, secret, f"{host}:{port}", "ListCollections", body)
        conn.request("POST", "/", body=body, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        if answer.status != 200 or "smoke" not in json.loads(data)["CollectionIds"]:
            raise ServeFailure(f"serve ListCollections: HTTP {answer.status} {data[:500]!r}")
        if not answer.getheader("x-amzn-RequestId"):
            raise ServeFailure("serve answered without x-amzn-RequestId")
        wrong = sigv4_headers(key, "not-the-secret", f"{host}:{port}", "ListCollections", body)
        conn.request("POST", "/", body=body, headers=wrong)
        refused = conn.getresponse()
        data = refused.read()
        if refused.status != 400 or json.loads(data)["__type"] != "InvalidSignatureException":
            raise ServeFailure(f"serve took a wrong signature: HTTP {refused.status} {data!r}")
        conn.close()
        children = _child_pids(proc.pid)
    finally:
        if proc.poll() is None:
            # Ctrl+C as a user stops it (Windows: Ctrl+Break to its process group).
            proc.send_signal(getattr(signal, "CTRL_BREAK_EVENT", signal.SIGINT))
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise ServeFailure("frozen serve did not stop on SIGINT") from None
    stderr = proc.stderr.read() if proc.stderr else ""
    match = broken.search("".join(out) + stderr)
    if match:
        raise ServeFailure(f"frozen serve: broken bundle ({match.group(0)}):\n{stderr[-3000:]}")
    if os.name != "nt" and code != 0:
        raise ServeFailure(f"frozen serve exited {code} on SIGINT:\n{stderr[-3000:]}")
    left = [pid for pid in children if Path(f"/proc/{pid}").exists()]
    if left:
        raise ServeFailure(f"frozen serve left processes behind: {left}")
    print(
        f"frozen facedesk serve ok: signed ListCollections answered, wrong signature refused, "
        f"stopped by SIGINT (ready after {started_s:.2f} s)"
    )
    return {"ready_s": round(started_s, 2), "exit": code}


def sigv4_headers(key: str, secret: str, host: str, operation: str, body: bytes) -> dict[str, str]:
    """A JSON 1.1 request's headers, signed with SigV4 as every AWS SDK signs them.

    Written out with hashlib/hmac on purpose: this script runs under any Python, without
    botocore, and an independent client-side signature is a better check of the frozen
    server's botocore-based verification than botocore signing for itself."""
    import hashlib
    import hmac
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    region, service = "us-east-1", "rekognition"
    headers = {
        "content-type": "application/x-amz-json-1.1",
        "host": host,
        "x-amz-date": stamp,
        "x-amz-target": f"RekognitionService.{operation}",
    }
    signed = ";".join(sorted(headers))
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            *(f"{name}:{headers[name]}" for name in sorted(headers)),
            "",
            signed,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key_bytes = ("AWS4" + secret).encode()
    for part in (day, region, service, "aws4_request"):
        key_bytes = hmac.new(key_bytes, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={signed}, Signature={signature}"
    )
    return headers


def _child_pids(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc; elsewhere none are looked for)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found

"""Target: 4 concurrent boto3 clients, 1,000 mixed requests, 0 errors, nothing lost."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.serve.conftest import Served, serve

CLIENTS = 4
REQUESTS = 1000
# One round per 10 requests: 1 index, 4 list, 4 search, 1 delete (of a face this client
# indexed two rounds earlier, so deletes race with other clients' indexing and searching).
ROUND = ("index", "list", "search", "list", "search", "list", "search", "delete", "list", "search")


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Served]:
    yield from serve(tmp_path / "busy.db")


def _work(rek: Any, n: int, photo: bytes, log: dict[str, Any]) -> None:
    indexed: list[str] = log["indexed"]
    for i in range(REQUESTS // CLIENTS):
        kind = ROUND[i % len(ROUND)]
        try:
            if kind == "index":
                r = rek.index_faces(
                    CollectionId="busy", Image={"Bytes": photo}, ExternalImageId=f"c{n}-{i}"
                )
                assert r["UnindexedFaces"] == []
                indexed.extend(f["Face"]["FaceId"] for f in r["FaceRecords"])
            elif kind == "list":
                r = rek.list_faces(CollectionId="busy", MaxResults=20)
                assert isinstance(r["Faces"], list)
            elif kind == "search" and indexed:
                r = rek.search_faces(CollectionId="busy", FaceId=indexed[-1], MaxFaces=5)
                assert r["SearchedFaceId"] == indexed[-1]
            elif kind == "search":
                rek.describe_collection(CollectionId="busy")
            elif kind == "delete" and len(indexed) >= 2:
                victim = indexed[-2]
                r = rek.delete_faces(CollectionId="busy", FaceIds=[victim])
                assert r["DeletedFaces"] == [victim], r
                log["deleted"].append(victim)
            else:
                rek.list_collections()
            log["done"] += 1
        except Exception as exc:  # every failure is counted, none stops the others
            log["errors"].append(f"{kind}: {exc!r}")


@pytest.mark.slow
def test_four_clients_thousand_mixed_requests(fresh: Served, testdata: Path) -> None:
    photo = (testdata / "real/face_recognition/obama_small.jpg").read_bytes()
    # No retries: an error the server sent must show up here, not be papered over.
    clients = [
        fresh.boto3(retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=2)
        for _ in range(CLIENTS)
    ]
    clients[0].create_collection(CollectionId="busy")
    logs: list[dict[str, Any]] = [
        {"indexed": [], "deleted": [], "errors": [], "done": 0} for _ in range(CLIENTS)
    ]
    threads = [
        threading.Thread(target=_work, args=(clients[n], n, photo, logs[n])) for n in range(CLIENTS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads)

    errors = [e for log in logs for e in log["errors"]]
    assert errors == [], errors[:5]
    assert sum(log["done"] for log in logs) == REQUESTS
    indexed = {f for log in logs for f in log["indexed"]}
    deleted = {f for log in logs for f in log["deleted"]}
    assert len(indexed) == REQUESTS // len(ROUND)  # one new face per index request
    stored = {
        face["FaceId"]
        for page in clients[0].get_paginator("list_faces").paginate(CollectionId="busy")
        for face in page["Faces"]
    }
    assert stored == indexed - deleted  # nothing lost, nothing left behind
    count = clients[0].describe_collection(CollectionId="busy")["FaceCount"]
    assert count == len(stored)

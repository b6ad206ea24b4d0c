"""Adding (JSON and multipart), listing and deleting documents; path-escape attempts."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import Server

ARTICLE = "The Zephyr lighthouse on Quokka Island was painted teal in 1911 by the keeper Amelia Brant."


def test_add_json_then_list_then_delete(server: Server) -> None:
    with server.client() as http:
        reply = http.post("/v1/documents", json={"documents": [
            {"id": "notes/zephyr", "text": ARTICLE, "title": "Zephyr lighthouse", "date": "1911-05-01",
             "source": "tests", "url": "https://example.org/zephyr"},
        ]})
        assert reply.status_code == 200, reply.text
        (item,) = reply.json()["items"]
        assert item["doc_id"] == "notes/zephyr" and item["status"] in ("added", "replaced") and item["chunks"] >= 1
        hits = http.post("/v1/search", json={"query": "Zephyr lighthouse teal", "top_k": 3}).json()["passages"]
        assert hits[0]["doc_id"] == "notes/zephyr"

        total = http.get("/v1/documents", params={"limit": 1}).json()["total"]
        ids = _all_ids(http)
        assert "notes/zephyr" in ids and len(ids) == total

        assert http.delete("/v1/documents/notes/zephyr").json() == {"doc_id": "notes/zephyr", "deleted": True}
        missing = http.delete("/v1/documents/notes/zephyr")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "document_not_found"
        assert http.get("/v1/documents", params={"limit": 1}).json()["total"] == total - 1


def _all_ids(http: httpx.Client) -> list[str]:
    ids, offset = [], 0
    while True:
        page = http.get("/v1/documents", params={"offset": offset, "limit": 3}).json()
        assert page["offset"] == offset and page["limit"] == 3
        ids += [doc["doc_id"] for doc in page["documents"]]
        if not page["documents"]:
            return ids
        offset += 3


def test_multipart_upload_uses_sanitised_names(server: Server, tmp_path: Path) -> None:
    files = [
        ("files", ("../../etc/evil name.txt", b"Quokka Island ferries leave at nine in the morning.", "text/plain")),
        ("files", ("notes.md", b"# Ferry notes\n\nThe Quokka ferry carries forty cyclists.", "text/markdown")),
        ("files", ("recs.jsonl", json.dumps({"id": "rec-1", "text": "Quokka Island has no cars."}).encode(), "x")),
    ]
    with server.client() as http:
        reply = http.post("/v1/documents", files=files)
        assert reply.status_code == 200, reply.text
        ids = {item["doc_id"] for item in reply.json()["items"]}
        assert {"evil_name.txt", "notes.md", "rec-1"} <= ids
        assert not any(".." in i or i.startswith("/") for i in ids)
        assert not Path("/etc/evil name.txt").exists()
        for doc_id in ("evil_name.txt", "notes.md", "rec-1"):
            assert http.delete(f"/v1/documents/{doc_id}").status_code == 200


def test_upload_type_and_size_limits(server: Server) -> None:
    with server.client() as http:
        reply = http.post("/v1/documents", files=[("files", ("run.exe", b"MZ", "application/octet-stream"))])
        assert reply.status_code == 415 and ".txt" in reply.json()["error"]["message"]
        big = [("files", ("big.txt", b"word " * 14_000, "text/plain"))]
        reply = http.post("/v1/documents", files=big)
        assert reply.status_code == 413 and "max_upload_bytes" in reply.json()["error"]["message"]
        reply = http.post("/v1/documents", content=b"hello", headers={"content-type": "text/plain"})
        assert reply.status_code == 415
        assert http.post("/v1/documents", json={"documents": []}).status_code == 422
        assert http.post("/v1/documents", json={"documents": [{"text": "x", "bogus": 1}]}).status_code == 422


@pytest.mark.parametrize(
    "raw", ["a%2F..%2F..%2Fetc%2Fpasswd", "%2E%2E", "a/%2E%2E/b", "%2Fetc%2Fpasswd", "a%00b", "C:%5Cwin", "a%5C..%5Cb"]
)
def test_delete_rejects_escaping_ids(server: Server, raw: str) -> None:
    reply = httpx.delete(f"{server.url}/v1/documents/{raw}")
    assert reply.status_code == 400, (raw, reply.text)
    assert reply.json()["error"]["code"] == "invalid_document_id"


def test_json_ids_that_escape_are_rejected(server: Server) -> None:
    reply = httpx.post(f"{server.url}/v1/documents", json={"documents": [{"id": "../x", "text": ARTICLE}]})
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "invalid_document_id"

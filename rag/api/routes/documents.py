"""Documents: add (JSON or multipart upload), list, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from rag.api.deps import AUTH, RagDep, SettingsDep
from rag.api.errors import ApiError
from rag.api.routes._responses import errors
from rag.api.schemas import DeleteResult, DocumentList, DocumentsIn
from rag.api.state import RAGService
from rag.api.uploads import check_doc_id, check_type, safe_name, save_upload, upload_dir
from rag.config import Settings
from rag.types import Document, IngestReport

router = APIRouter(prefix="/v1", tags=["documents"], dependencies=AUTH)

MAX_OFFSET = 1_000_000_000  # past any real index, far below SQLite's 64-bit limit (which overflowed to a 500)

_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/DocumentsIn"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}},
                    "required": ["files"],
                }
            },
        },
    }
}


@router.post("/documents", response_model=IngestReport, openapi_extra=_BODY_DOC, responses=errors(400, 413, 415))
async def add_documents(request: Request, rag: RagDep, settings: SettingsDep) -> IngestReport:
    """Index documents given as JSON, or files uploaded as multipart (.txt .md .html .jsonl .pdf)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        return await _add_uploads(request, rag, settings)
    if not content_type.startswith("application/json"):
        raise ApiError(415, "send application/json {documents: [...]} or multipart/form-data files")
    try:
        body = DocumentsIn.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None
    for doc in body.documents:
        if doc.id is not None:
            check_doc_id(doc.id)
    documents = [Document(**doc.model_dump()) for doc in body.documents]
    return _indexed_or_422(await run_in_threadpool(rag.add, documents), "document")


async def _add_uploads(request: Request, rag: RAGService, settings: Settings) -> IngestReport:
    form = await request.form(max_files=100)
    try:
        uploads = [v for k, v in form.multi_items() if k in ("files", "file") and isinstance(v, UploadFile)]
        if not uploads:
            raise ApiError(422, "no files in the upload; send them as multipart fields named 'files'")
        for upload in uploads:
            check_type(upload)
        with upload_dir() as tmp:
            folder, taken = Path(tmp), set[str]()
            for upload in uploads:
                await save_upload(upload, folder, safe_name(upload.filename, taken), settings.server.max_upload_bytes)
            # The folder is handed over whole so document ids are the (sanitised) file names.
            report = await run_in_threadpool(rag.add, [folder])
    finally:
        await form.close()
    return _indexed_or_422(report, "uploaded file")


def _indexed_or_422(report: IngestReport, what: str) -> IngestReport:
    """The report, or a 422 carrying it when not one input could be indexed (all failed or were empty)."""
    if any(item.status not in ("error", "skipped") for item in report.items) or not report.items:
        return report
    reasons = "; ".join(f"{item.source or item.doc_id}: {item.message}" for item in report.items[:5])
    raise ApiError(
        422, f"no {what} could be indexed ({len(report.items)} tried): {reasons}",
        type="nothing_indexed", details=report.model_dump(mode="json"),
    )


@router.get("/documents", response_model=DocumentList, responses=errors())
async def list_documents(
    rag: RagDep,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> DocumentList:
    """A page of the indexed documents, with the total count."""
    documents, stats = await run_in_threadpool(lambda: (rag.documents(offset, limit), rag.stats()))
    return DocumentList(documents=documents, total=stats.documents, offset=offset, limit=limit)


@router.delete("/documents/{doc_id:path}", response_model=DeleteResult, responses=errors(400, 404))
async def delete_document(doc_id: str, rag: RagDep) -> DeleteResult:
    """Remove a document and its chunks; ids may contain '/'."""
    check_doc_id(doc_id)
    if not await run_in_threadpool(rag.delete, doc_id):
        raise ApiError(404, f"no document with id {doc_id!r}; GET /v1/documents lists them", type="document_not_found")
    return DeleteResult(doc_id=doc_id, deleted=True)

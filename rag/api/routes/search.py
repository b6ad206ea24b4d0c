"""POST /v1/search: ranked passages with their scores, no generation."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from rag.api.deps import AUTH, RagDep, SettingsDep
from rag.api.limits import check_text, check_top_k
from rag.api.routes._responses import errors
from rag.api.schemas import SearchRequest, SearchResponse

router = APIRouter(prefix="/v1", tags=["search"], dependencies=AUTH)


@router.post("/search", response_model=SearchResponse, responses=errors(400))
async def search(body: SearchRequest, rag: RagDep, settings: SettingsDep) -> SearchResponse:
    """Retrieve passages for a query (dense, lexical or hybrid) with their scores."""
    check_text(body.query, "query", settings.server)
    check_top_k(body.top_k, settings.server)
    passages = await run_in_threadpool(lambda: rag.search(body.query, body.top_k, filters=body.filters, mode=body.mode))
    return SearchResponse(passages=passages)

"""POST /v1/ask: a cited answer as JSON, or as server-sent events."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from rag.answer.types import Answer
from rag.api import answering
from rag.api.deps import AUTH, ready_rag
from rag.api.limits import check_message_count, check_text, check_top_k
from rag.api.routes._responses import errors
from rag.api.schemas import AskRequest
from rag.api.streaming import SSE_HEADERS

router = APIRouter(prefix="/v1", tags=["ask"], dependencies=AUTH)

_SSE_DOC = {
    "description": "the Answer, or with `stream: true` server-sent events: "
    "`delta` {text}*, `citations` {citations, abstained}, `done` (the Answer), or `error`",
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}


@router.post("/ask", response_model=Answer, responses={200: _SSE_DOC, **errors(400, 502, 504)})
async def ask(body: AskRequest, request: Request):
    """Answer a question from the index, with [n] markers and the citations behind them."""
    # Read from the app rather than as dependencies (`RagDep` and the like): the busiest route, and
    # each dependency FastAPI solves costs a good part of a whole /healthz.
    runtime, metrics = request.app.state.runtime, request.app.state.metrics
    rag = await ready_rag(runtime)
    settings = runtime.settings
    check_text(body.question, "question", settings.server)
    check_top_k(body.top_k, settings.server)
    check_message_count(len(body.history or []), settings.server, param="history")
    kw = {"top_k": body.top_k, "llm": body.llm, "mode": body.mode, "filters": body.filters}
    if not body.stream:
        answer = await answering.ask(rag, metrics, body.question, body.history, **kw)
        return answering.json_response(answer)
    iterator, first = await answering.open_stream(rag, body.question, body.history, **kw)
    events = answering.ask_events(request, metrics, iterator, first)
    return StreamingResponse(events, media_type="text/event-stream", headers=SSE_HEADERS)

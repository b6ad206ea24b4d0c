"""/docs (Swagger UI) and /redoc with their assets served locally, so they work on an offline machine.

FastAPI's own pages load their JavaScript and CSS from a CDN (and ReDoc its fonts from Google):
blank without a network. The assets come from the `fastapi-offline` package, which ships
Swagger UI's and ReDoc's released bundles; only its files are used, not its app class.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse

from rag.api.errors import ApiError

router = APIRouter(include_in_schema=False)

ASSETS = "/docs-assets"
# The pages themselves (FastAPI's HTML) use inline scripts; everything they load must be ours.
# ReDoc also links its vendor's logo from a CDN: the policy stops that request in the browser.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'none'"
)
_FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}


@lru_cache(maxsize=1)
def assets_dir() -> Path:
    import fastapi_offline

    folder = Path(fastapi_offline.__file__).parent / "static"
    missing = [name for name in _FILES if not (folder / name).is_file()]
    if missing:
        raise RuntimeError(f"fastapi-offline at {folder} lacks {missing}; reinstall it (pip install -e .)")
    return folder


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    return _offline(
        get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="rag API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )
    )


@router.get("/docs/oauth2-redirect")
def swagger_oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
def redoc() -> HTMLResponse:
    return _offline(
        get_redoc_html(
            openapi_url="/openapi.json",
            title="rag API",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        )
    )


def _offline(response: HTMLResponse) -> HTMLResponse:
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response


@router.get(ASSETS + "/{name}")
def docs_asset(name: str) -> FileResponse:
    if name not in _FILES:
        raise ApiError(404, f"no docs asset {name!r}", code="not_found")
    # The bundles are versioned with the installed package; a day of caching spares reloads.
    return FileResponse(assets_dir() / name, media_type=_FILES[name], headers={"Cache-Control": "max-age=86400"})

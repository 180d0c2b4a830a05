"""Errors as RFC 9457 problem details (``application/problem+json``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

MEDIA_TYPE = "application/problem+json"

TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 412: "Precondition failed",
          415: "Unsupported media type", 422: "Unprocessable content",
          428: "Precondition required", 500: "Internal server error"}


class Problem(Exception):  # noqa: N818 - named after RFC 9457 problem details
    """An error answered as a problem document; ``errors`` name the fields concerned."""

    def __init__(self, status: int, detail: str, *, errors: list[dict[str, str]] | None = None,
                 title: str | None = None, kind: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.title = title or TITLES.get(status, "Error")
        self.kind = kind or self.title.lower().replace(" ", "-")
        self.headers = headers or {}


def not_found(what: str, ident: object) -> Problem:
    """The answer for anything that does not exist *or is not the caller's*."""
    return Problem(404, f"no {what} {ident}", kind="not-found")


def problem_response(request: Request, status: int, detail: str, *, title: str | None = None,
                     kind: str | None = None, errors: list[dict[str, str]] | None = None,
                     headers: dict[str, str] | None = None) -> JSONResponse:
    title = title or TITLES.get(status, "Error")
    body: dict[str, Any] = {
        "type": f"https://gasunion.dev/problems/{kind or title.lower().replace(' ', '-')}",
        "title": title, "status": status, "detail": detail,
        "instance": request.url.path, "errors": errors or []}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` with a problem document."""

    @app.exception_handler(Problem)
    def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(request, exc.status, exc.detail, title=exc.title, kind=exc.kind,
                                errors=exc.errors, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for e in exc.errors():
            if e.get("type") == "json_invalid":  # loc is ("body", byte offset): not a field
                pos = e.get("loc", ("body", "?"))[-1]
                why = (e.get("ctx") or {}).get("error", "")
                errors.append({"field": "body", "message": f"not valid JSON at character "
                                                           f"{pos}" + (f": {why}" if why else "")})
                continue
            errors.append({"field": _field(e.get("loc", ())), "message": str(e.get("msg", ""))})
        names = ", ".join(dict.fromkeys(e["field"] for e in errors))
        return problem_response(request, 422, f"invalid request: {names}", kind="validation",
                                errors=errors)

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(request, exc.status_code, str(exc.detail),
                                headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    def _internal(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(request, 500, f"internal error ({type(exc).__name__})")

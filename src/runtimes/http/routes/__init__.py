"""Route handlers, one module per resource. Handlers only translate: DTO -> command -> DTO."""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

from petpro_core.shared.pagination import MAX_LIMIT, PageRequest

Limit = Annotated[
    int, QueryParameter(ge=1, le=MAX_LIMIT, description=f"Page size, 1..{MAX_LIMIT}.")
]
Offset = Annotated[int, QueryParameter(ge=0, description="Items to skip.")]


def page_request(limit: int, offset: int) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)

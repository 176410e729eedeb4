"""The Litestar HTTP runtime: a thin edge over the core's message bus.

Start it with ``uvicorn --factory runtimes.http.app:create_app`` (or ``petpro serve``).
"""

from runtimes.http.app import create_app

__all__ = ["create_app"]

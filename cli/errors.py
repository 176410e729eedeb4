"""The CLI's one error translator: a one-line message on stderr and a documented exit code."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from pydantic import ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError

from petpro_core.shared.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    PetProError,
    RuleViolated,
    TooManyAttempts,
    Unauthenticated,
)
from runtimes.backbone import BackboneConfigurationError
from runtimes.keys import KeyConfigurationError
from runtimes.schema import SchemaBehind

EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_CONFLICT = 4
EXIT_INVALID = 5
EXIT_DENIED = 6
EXIT_CONFIG = 7
EXIT_UNAVAILABLE = 8

_DOMAIN_EXITS: list[tuple[type[PetProError], int]] = [
    (NotFound, EXIT_NOT_FOUND),
    (Conflict, EXIT_CONFLICT),
    (RuleViolated, EXIT_INVALID),
    (PermissionDenied, EXIT_DENIED),
    (Unauthenticated, EXIT_DENIED),
    (TooManyAttempts, EXIT_DENIED),
]


def fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unknown error"


def _settings_message(exc: ValidationError) -> str:
    error = exc.errors()[0]
    name = "PETPRO_" + "_".join(str(part) for part in error["loc"]).upper()
    return f"invalid configuration: {name}: {error['msg']}"


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turn every expected failure into `error: …` and an exit code; never a traceback."""
    try:
        yield
    except typer.Exit:
        raise
    except PetProError as exc:
        code = next((c for kind, c in _DOMAIN_EXITS if isinstance(exc, kind)), EXIT_UNEXPECTED)
        fail(exc.detail, code)
    except ValidationError as exc:
        fail(_settings_message(exc), EXIT_CONFIG)
    except (KeyConfigurationError, BackboneConfigurationError) as exc:
        fail(_first_line(str(exc)), EXIT_CONFIG)
    except (RedisConnectionError, RedisTimeoutError) as exc:
        fail(f"event bus unavailable: {_first_line(str(exc))}", EXIT_UNAVAILABLE)
    except SchemaBehind as exc:
        fail(str(exc), EXIT_UNAVAILABLE)
    except (DBAPIError, OSError) as exc:
        origin = getattr(exc, "orig", None) or exc
        fail(f"database unavailable: {_first_line(str(origin))}", EXIT_UNAVAILABLE)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None
    except Exception as exc:
        fail(f"unexpected {type(exc).__name__}: {_first_line(str(exc))}", EXIT_UNEXPECTED)


def guarded(func: Callable[..., None]) -> Callable[..., None]:
    """Decorator form of `translated_errors` for Typer commands."""

    @functools.wraps(func)
    def wrapper(*args: object, **kwargs: object) -> None:
        with translated_errors():
            func(*args, **kwargs)

    return wrapper

"""Core statements compiled once, and on PostgreSQL run straight on the asyncpg connection.

SQLAlchemy's `AsyncConnection.execute` costs about 50 µs of Python per statement beyond the
driver's own work (cache key, execution context, result set-up, two greenlet switches),
more than the round trip on loopback. The hot statements of a request (a booking runs about
seventeen) are fixed, so `Statement` compiles each once per dialect and parameter set, with
SQLAlchemy's own compiler and type processors, and runs it on the asyncpg connection under
the SQLAlchemy connection's transaction: the same SQL, parameters, rows and errors.

- Same transaction: the SQLAlchemy connection is begun if it is not, and the driver's
  transaction is started as SQLAlchemy's adapter starts it, so `commit`/`rollback` on the
  `AsyncConnection` (the unit of work's) cover statements run either way. Except plain
  SELECTs (no FOR UPDATE) before the first write: they run outside a transaction, which
  under READ COMMITTED sees exactly what they would see inside one, and spares a unit of
  work that only reads its BEGIN and ROLLBACK (two of its four round trips for a request's
  session check).
- Same values: parameters pass through the bind processors SQLAlchemy would apply (e.g.
  `UtcDateTime`, JSON), rows through its result processors; rows are named tuples.
- Same errors: a driver error becomes the `sqlalchemy.exc` error SQLAlchemy would raise
  (`IntegrityError` with `.orig`, sqlstate and all), and a broken connection is invalidated.
- SQLite, and any statement that needs SQLAlchemy's execution machinery (Python-side column
  defaults, expanding IN), run through `AsyncConnection.execute` unchanged.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy.exc import DBAPIError, InvalidRequestError, MultipleResultsFound, NoResultFound
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement, Executable, Select
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any] | None


class Rows:
    """What a statement returned: its rows (all fetched) and the rows it touched."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def all(self) -> list[Any]:
        return self._rows

    def first(self) -> Any | None:
        return self._rows[0] if self._rows else None

    def one(self) -> Any:
        if len(self._rows) != 1:
            if not self._rows:
                raise NoResultFound("No row was found when one was required")
            raise MultipleResultsFound("Multiple rows were found when exactly one was required")
        return self._rows[0]

    def scalar(self) -> Any | None:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        return self.one()[0]

    def scalars(self) -> list[Any]:
        return [row[0] for row in self._rows]


@dataclass(frozen=True, slots=True)
class _Bind:
    key: str
    processor: Processor
    default: Any
    required: bool


@dataclass(slots=True)
class _Plan:
    """One statement compiled for asyncpg with one set of parameter names."""

    sql: str
    binds: tuple[_Bind, ...]
    returns_rows: bool
    row_type: type[tuple[Any, ...]] | None
    # Result processors need the columns' type codes, known after the first run.
    result_types: tuple[Any, ...]
    results: tuple[Processor, ...] | None = None

    def arguments(self, parameters: Mapping[str, Any]) -> list[Any]:
        arguments = []
        for bind in self.binds:
            if bind.key in parameters:
                value = parameters[bind.key]
            elif bind.required:
                raise InvalidRequestError(f"A value is required for bind parameter {bind.key!r}")
            else:
                value = bind.default
            arguments.append(value if bind.processor is None else bind.processor(value))
        return arguments


class Statement:
    """A module-level Core statement with bind parameters; `await s.execute(connection, {...})`
    answers `Rows`. Build it once (at import), never per call."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._plain_read = isinstance(statement, Select) and statement._for_update_arg is None
        self._plans: dict[tuple[bool, tuple[str, ...]], _Plan | None] = {}

    async def execute(
        self, connection: AsyncConnection, parameters: Mapping[str, Any] | None = None
    ) -> Rows:
        parameters = parameters or {}
        if connection.dialect.name != "postgresql":
            return await self._through_sqlalchemy(connection, parameters)
        plan = self._plan(connection, tuple(parameters), many=False)
        if plan is None:
            return await self._through_sqlalchemy(connection, parameters)
        arguments = plan.arguments(parameters)
        # A plain read before the transaction's first write needs no BEGIN (nor the ROLLBACK
        # of a unit of work that only reads): under READ COMMITTED each statement takes its
        # own snapshot in a transaction or out of one, and it holds no locks.
        in_transaction = not (self._plain_read and not connection.in_transaction())
        driver, adapted = await _driver_of(connection, begin=in_transaction)
        async with adapted._execute_mutex:
            try:
                if in_transaction:
                    await _start_driver_transaction(adapted)
                if plan.returns_rows:
                    if plan.results is None:
                        prepared = await driver.prepare(plan.sql)
                        plan.results = _result_processors(
                            connection, plan.result_types, prepared.get_attributes()
                        )
                    records = await driver.fetch(plan.sql, *arguments)
                    return Rows(_rows(plan, records), len(records))
                status = await driver.execute(plan.sql, *arguments)
            except BaseException as error:
                await _raise_translated(connection, adapted, error, plan.sql, arguments)
        return Rows([], _rowcount(status))

    async def execute_many(
        self, connection: AsyncConnection, parameters: Sequence[Mapping[str, Any]]
    ) -> None:
        """One statement for many parameter sets (no rows back); one round trip on asyncpg."""
        if not parameters:
            return
        if connection.dialect.name != "postgresql":
            await connection.execute(self.statement, list(parameters))
            return
        plan = self._plan(connection, tuple(parameters[0]), many=True)
        if plan is None or plan.returns_rows:
            await connection.execute(self.statement, list(parameters))
            return
        arguments = [plan.arguments(one) for one in parameters]
        driver, adapted = await _driver_of(connection, begin=True)
        async with adapted._execute_mutex:
            try:
                await _start_driver_transaction(adapted)
                await driver.executemany(plan.sql, arguments)
            except BaseException as error:
                await _raise_translated(connection, adapted, error, plan.sql, arguments)

    async def _through_sqlalchemy(
        self, connection: AsyncConnection, parameters: Mapping[str, Any]
    ) -> Rows:
        result = await connection.execute(self.statement, dict(parameters))
        rows = list(result) if result.returns_rows else []
        return Rows(rows, result.rowcount)

    def _plan(
        self, connection: AsyncConnection, keys: tuple[str, ...], *, many: bool
    ) -> _Plan | None:
        cache_key = (many, keys)
        try:
            return self._plans[cache_key]
        except KeyError:
            pass
        assert isinstance(self.statement, ClauseElement)
        compiled = self.statement.compile(
            dialect=connection.dialect, column_keys=sorted(keys), for_executemany=many
        )
        plan = _compile(compiled) if isinstance(compiled, SQLCompiler) else None
        self._plans[cache_key] = plan
        return plan


def _compile(compiled: SQLCompiler) -> _Plan | None:
    """The plan, or None when the statement needs SQLAlchemy's execution context."""
    if compiled.insert_prefetch or compiled.update_prefetch or compiled.positiontup is None:
        return None
    if any(bind.expanding for bind in compiled.binds.values()):
        return None
    processors = compiled._bind_processors
    binds = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        if bind.callable is not None:
            return None
        binds.append(
            _Bind(
                key=bind.key,
                processor=processors.get(name),  # type: ignore[arg-type]
                default=bind.effective_value,
                required=bind.required,
            )
        )
    columns = compiled._result_columns
    returns_rows = bool(columns)
    names = [column[0] for column in columns]
    row_type: Any = namedtuple("Row", names, rename=True) if returns_rows else None
    return _Plan(
        sql=compiled.string,
        binds=tuple(binds),
        returns_rows=returns_rows,
        row_type=row_type,
        result_types=tuple(column[3] for column in columns),
    )


def _result_processors(
    connection: AsyncConnection, types: tuple[Any, ...], attributes: Sequence[Any]
) -> tuple[Processor, ...]:
    dialect = connection.dialect
    return tuple(
        type_._cached_result_processor(dialect, attribute.type.oid)
        for type_, attribute in zip(types, attributes, strict=True)
    )


def _rows(plan: _Plan, records: list[Any]) -> list[Any]:
    assert plan.row_type is not None and plan.results is not None
    make = plan.row_type._make  # type: ignore[attr-defined]
    processors = plan.results
    if not any(processors):
        return [make(record) for record in records]
    return [
        make([v if p is None else p(v) for p, v in zip(processors, record, strict=True)])
        for record in records
    ]


def _rowcount(status: str) -> int:
    """asyncpg's command status: `UPDATE 1`, `DELETE 0`, `INSERT 0 3`, `SELECT 2`."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


async def _driver_of(connection: AsyncConnection, *, begin: bool) -> tuple[Any, Any]:
    """The asyncpg connection and SQLAlchemy's adapter of it; with `begin`, the SQLAlchemy
    connection in a transaction (so its commit and rollback reach the driver)."""
    if begin and not connection.in_transaction():
        await connection.begin()
    adapted: Any = connection.sync_connection.connection.dbapi_connection  # type: ignore[union-attr]
    return adapted.driver_connection, adapted


async def _start_driver_transaction(adapted: Any) -> None:
    # As SQLAlchemy's asyncpg cursor does before its first statement of a transaction.
    if adapted._transaction is None:
        await adapted._start_transaction()


async def _raise_translated(
    connection: AsyncConnection, adapted: Any, error: BaseException, sql: str, arguments: Any
) -> NoReturn:
    """Raise the `sqlalchemy.exc` error SQLAlchemy would have raised for the driver's
    `error`; a connection the error broke is invalidated, as SQLAlchemy does. A cancellation
    (or another exit) mid-statement leaves the driver's protocol state unknown: the
    connection is invalidated (closed, never returned to the pool) and the exit goes on."""
    if not isinstance(error, Exception):
        connection.sync_connection.invalidate()  # type: ignore[union-attr]
        raise error
    try:
        adapted._handle_exception(error)
    except Exception as dbapi_error:
        translated = dbapi_error
    else:  # pragma: no cover - _handle_exception always raises
        translated = error
    dialect = connection.dialect
    broken = dialect.is_disconnect(translated, adapted, None)  # type: ignore[arg-type]
    if broken:
        await connection.invalidate()
    raise DBAPIError.instance(
        sql,
        arguments,
        translated,
        dialect.loaded_dbapi.Error,
        connection_invalidated=broken,
        dialect=dialect,
    ) from translated

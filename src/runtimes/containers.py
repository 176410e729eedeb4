"""dependency-injector containers: one per bounded context, and the application's.

Adapters are picked from settings. Providers are lazy: building a container connects to
nothing; the first use of a database creates its engine.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from dependency_injector import containers, providers
from sqlalchemy import Table

from adapters.memory.auth import InMemoryAuthUnitOfWork, in_memory_auth_store
from adapters.memory.booking import InMemoryBookingUnitOfWork, in_memory_booking_store
from adapters.memory.clinic import InMemoryClinicUnitOfWork, in_memory_clinic_store
from adapters.memory.finance import InMemoryFinanceUnitOfWork, in_memory_finance_store
from adapters.memory.idempotency import InMemoryIdempotencyStore
from adapters.memory.inventory import InMemoryInventoryUnitOfWork, in_memory_inventory_store
from adapters.memory.notification import (
    InMemoryNotificationUnitOfWork,
    in_memory_notification_store,
)
from adapters.memory.unit_of_work import InMemoryStore
from adapters.memory.vendor import InMemoryVendorUnitOfWork, in_memory_vendor_store
from adapters.messaging.faults import FaultPoints
from adapters.payments.fake_gateway import FakePaymentGateway
from adapters.security.passwords import (
    Argon2Parameters,
    Argon2PasswordHasher,
    ZxcvbnPasswordStrength,
)
from adapters.security.tokens import JwtTokenIssuer, TokenSettings
from adapters.sql.auth.unit_of_work import SqlAuthUnitOfWork
from adapters.sql.booking import tables as booking_tables
from adapters.sql.booking.unit_of_work import SqlBookingUnitOfWork
from adapters.sql.clinic.unit_of_work import SqlClinicUnitOfWork
from adapters.sql.database import SqlDatabase
from adapters.sql.finance.unit_of_work import SqlFinanceUnitOfWork
from adapters.sql.idempotency import SqlIdempotencyStore
from adapters.sql.inventory import customer_order_tables
from adapters.sql.inventory.unit_of_work import SqlInventoryUnitOfWork
from adapters.sql.notification.unit_of_work import SqlNotificationUnitOfWork
from adapters.sql.vendor.unit_of_work import SqlVendorUnitOfWork
from petpro_core.auth.domain.throttling import ThrottleRule
from petpro_core.auth.handlers import AuthDependencies, AuthHandlers, AuthRules
from petpro_core.auth.ports import AuthUnitOfWork
from petpro_core.auth.subscriptions import auth_subscription
from petpro_core.booking.handlers import BookingDependencies, BookingHandlers
from petpro_core.booking.ports import BookingUnitOfWork
from petpro_core.booking.subscriptions import booking_subscription
from petpro_core.clinic.handlers import ClinicDependencies, ClinicHandlers
from petpro_core.clinic.ports import ClinicUnitOfWork
from petpro_core.finance.handlers import FinanceDependencies, FinanceHandlers
from petpro_core.finance.ports import FinanceUnitOfWork
from petpro_core.finance.subscriptions import finance_subscription
from petpro_core.inventory.customer_orders import (
    CustomerOrderDependencies,
    CustomerOrderHandlers,
)
from petpro_core.inventory.handlers import InventoryDependencies, InventoryHandlers
from petpro_core.inventory.ports import InventoryUnitOfWork
from petpro_core.inventory.subscriptions import inventory_subscription
from petpro_core.notification.domain.deliveries import RetryPolicy
from petpro_core.notification.handlers import NotificationDependencies, NotificationHandlers
from petpro_core.notification.ports import NotificationUnitOfWork
from petpro_core.notification.subscriptions import notification_subscription
from petpro_core.shared.clock import Clock, SystemClock
from petpro_core.shared.idempotency import IdempotencyStore
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.payments import PaymentGateway
from petpro_core.vendor.handlers import VendorDependencies, VendorHandlers
from petpro_core.vendor.ports import VendorUnitOfWork
from petpro_core.vendor.subscriptions import vendor_subscription
from runtimes.backbone import EventBackbone
from runtimes.bridges.booking_payments import BookingPaymentRecords
from runtimes.bridges.clinic_directory import ClinicContextDirectory
from runtimes.bridges.pet_directory import AuthPetDirectory
from runtimes.bridges.product_reservations import InventoryProductReservations
from runtimes.bridges.staff_directory import AuthStaffDirectory
from runtimes.databases import Databases
from runtimes.keys import load_signing_key
from runtimes.notification_channels import build_channels
from runtimes.settings import Settings, StorageKind

_UoW = TypeVar("_UoW")

# Each context's units of work, in memory and on SQL. Typed by the context's port, so mypy
# checks that both satisfy it.
_Stores = tuple[Callable[[Any], _UoW], Callable[[SqlDatabase], _UoW]]
_AUTH_STORES: _Stores[AuthUnitOfWork] = (InMemoryAuthUnitOfWork, SqlAuthUnitOfWork)
_BOOKING_STORES: _Stores[BookingUnitOfWork] = (InMemoryBookingUnitOfWork, SqlBookingUnitOfWork)
_CLINIC_STORES: _Stores[ClinicUnitOfWork] = (InMemoryClinicUnitOfWork, SqlClinicUnitOfWork)
_INVENTORY_STORES: _Stores[InventoryUnitOfWork] = (
    InMemoryInventoryUnitOfWork,
    SqlInventoryUnitOfWork,
)
_VENDOR_STORES: _Stores[VendorUnitOfWork] = (InMemoryVendorUnitOfWork, SqlVendorUnitOfWork)
_NOTIFICATION_STORES: _Stores[NotificationUnitOfWork] = (
    InMemoryNotificationUnitOfWork,
    SqlNotificationUnitOfWork,
)
_FINANCE_STORES: _Stores[FinanceUnitOfWork] = (InMemoryFinanceUnitOfWork, SqlFinanceUnitOfWork)


def _unit_of_work(
    context: str,
    stores: _Stores[_UoW],
    settings: Settings,
    databases: Databases,
    memory_store: InMemoryStore,  # type: ignore[type-arg]
) -> Callable[[], _UoW]:
    """A context's unit-of-work factory on the store its settings pick."""
    in_memory, sql = stores
    if settings.storage_for(context) is StorageKind.MEMORY:
        return lambda: in_memory(memory_store)
    database = databases.for_context(context)
    return lambda: sql(database)


def _idempotency_store(
    context: str, table: Table, settings: Settings, databases: Databases
) -> IdempotencyStore:
    """Where a context's routes keep their `Idempotency-Key` answers."""
    if settings.storage_for(context) is StorageKind.MEMORY:
        return InMemoryIdempotencyStore()
    return SqlIdempotencyStore(databases.for_context(context), table)


def _auth_rules(settings: Settings) -> AuthRules:
    window = timedelta(seconds=settings.login_failure_window_seconds)
    return AuthRules(
        refresh_token_ttl=timedelta(days=settings.refresh_token_ttl_days),
        account_throttle=ThrottleRule(settings.login_max_failures_per_account, window),
        address_throttle=ThrottleRule(settings.login_max_failures_per_address, window),
    )


class AuthContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    clock: providers.Dependency[Clock] = providers.Dependency()
    databases = providers.Dependency(instance_of=Databases)

    memory_store = providers.Singleton(in_memory_auth_store)
    unit_of_work = providers.Singleton(
        _unit_of_work, "auth", _AUTH_STORES, settings, databases, memory_store
    )
    subscription = providers.Singleton(auth_subscription, unit_of_work)
    hasher = providers.Singleton(
        Argon2PasswordHasher,
        providers.Factory(
            Argon2Parameters,
            memory_cost_kib=settings.provided.argon2_memory_kib,
            time_cost=settings.provided.argon2_time_cost,
            parallelism=settings.provided.argon2_parallelism,
        ),
    )
    strength = providers.Singleton(ZxcvbnPasswordStrength)
    tokens = providers.Singleton(
        JwtTokenIssuer,
        providers.Singleton(load_signing_key, settings),
        providers.Factory(
            TokenSettings,
            issuer=settings.provided.jwt_issuer,
            audience=settings.provided.jwt_audience,
            access_token_ttl=settings.provided.access_token_ttl,
        ),
    )
    handlers = providers.Singleton(
        AuthHandlers,
        providers.Factory(
            AuthDependencies,
            uow=unit_of_work,
            hasher=hasher,
            strength=strength,
            tokens=tokens,
            clock=clock,
            rules=providers.Factory(_auth_rules, settings),
        ),
    )


class BookingContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    clock: providers.Dependency[Clock] = providers.Dependency()
    databases = providers.Dependency(instance_of=Databases)
    # The application's bus, looked up when first used: the directories and reservations
    # ask auth, the clinic context and inventory through it (in-process calls today, HTTP
    # clients once contexts run as their own services).
    bus: providers.Dependency[Callable[[], MessageBus]] = providers.Dependency()

    memory_store = providers.Singleton(in_memory_booking_store)
    unit_of_work = providers.Singleton(
        _unit_of_work, "booking", _BOOKING_STORES, settings, databases, memory_store
    )
    subscription = providers.Singleton(booking_subscription, unit_of_work)
    idempotency_store = providers.Singleton(
        _idempotency_store, "booking", booking_tables.idempotency_keys, settings, databases
    )
    # The deterministic fake (see adapters/payments); a real provider implements the same
    # PaymentGateway port.
    payments = providers.Singleton(FakePaymentGateway)
    handlers = providers.Singleton(
        BookingHandlers,
        providers.Factory(
            BookingDependencies,
            uow=unit_of_work,
            clock=clock,
            payments=payments,
            reservations=providers.Singleton(InventoryProductReservations, bus),
            pets=providers.Singleton(AuthPetDirectory, bus),
            clinics=providers.Singleton(ClinicContextDirectory, bus),
            hold_timeout=providers.Callable(
                lambda minutes: timedelta(minutes=minutes), settings.provided.booking_hold_minutes
            ),
        ),
    )


class ClinicContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    clock: providers.Dependency[Clock] = providers.Dependency()
    databases = providers.Dependency(instance_of=Databases)
    # A callable returning the application's bus: the staff directory asks auth through it,
    # and the bus carries the clinic's handlers, so it is looked up only when used.
    bus: providers.Dependency[Callable[[], MessageBus]] = providers.Dependency()

    memory_store = providers.Singleton(in_memory_clinic_store)
    unit_of_work = providers.Singleton(
        _unit_of_work, "clinic", _CLINIC_STORES, settings, databases, memory_store
    )
    staff_directory = providers.Singleton(AuthStaffDirectory, bus)
    handlers = providers.Singleton(
        ClinicHandlers,
        providers.Factory(ClinicDependencies, uow=unit_of_work, staff=staff_directory, clock=clock),
    )


class InventoryContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    clock: providers.Dependency[Clock] = providers.Dependency()
    databases = providers.Dependency(instance_of=Databases)

    memory_store = providers.Singleton(in_memory_inventory_store)
    unit_of_work = providers.Singleton(
        _unit_of_work, "inventory", _INVENTORY_STORES, settings, databases, memory_store
    )
    # Clinics as stock locations, purchase orders as stock on order and receipts.
    subscription = providers.Singleton(inventory_subscription, unit_of_work)
    handlers = providers.Singleton(
        InventoryHandlers, providers.Factory(InventoryDependencies, uow=unit_of_work, clock=clock)
    )
    # The shop's customer orders: paid through the application's one PaymentGateway (the
    # booking container's), so every charge and refund is in one ledger.
    payments: providers.Dependency[PaymentGateway] = providers.Dependency()
    idempotency_store = providers.Singleton(
        _idempotency_store, "inventory", customer_order_tables.idempotency_keys, settings, databases
    )
    customer_orders = providers.Singleton(
        CustomerOrderHandlers,
        providers.Factory(
            CustomerOrderDependencies,
            uow=unit_of_work,
            payments=payments,
            clock=clock,
            pick_up_window=providers.Callable(
                lambda days: timedelta(days=days), settings.provided.pick_up_days
            ),
        ),
    )


class VendorContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    clock: providers.Dependency[Clock] = providers.Dependency()
    databases = providers.Dependency(instance_of=Databases)
    # A callable returning the application's bus: the user directory asks auth through it.
    bus: providers.Dependency[Callable[[], MessageBus]] = providers.Dependency()

    memory_store = providers.Singleton(in_memory_vendor_store)
    unit_of_work = providers.Singleton(
        _unit_of_work, "vendor", _VENDOR_STORES, settings, databases, memory_store
    )
    subscription = providers.Singleton(vendor_subscription, unit_of_work, clock)
    user_directory = providers.Singleton(AuthStaffDirectory, bus)
    handlers = providers.Singleton(
        VendorHandlers,
        providers.Factory(VendorDependencies, uow=unit_of_work, users=user_directory, clock=clock),
    )


class FinanceContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    clock: providers.Dependency[Clock] = providers.Dependency()
    databases = providers.Dependency(instance_of=Databases)
    # A callable returning the application's bus: reconciliation asks booking through it.
    bus: providers.Dependency[Callable[[], MessageBus]] = providers.Dependency()

    memory_store = providers.Singleton(in_memory_finance_store)
    unit_of_work = providers.Singleton(
        _unit_of_work, "finance", _FINANCE_STORES, settings, databases, memory_store
    )
    subscription = providers.Singleton(finance_subscription, unit_of_work, clock)
    handlers = providers.Singleton(
        FinanceHandlers,
        providers.Factory(
            FinanceDependencies,
            uow=unit_of_work,
            payments=providers.Singleton(BookingPaymentRecords, bus),
            clock=clock,
        ),
    )


def _retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.notification_max_attempts,
        base=timedelta(seconds=settings.notification_retry_base_seconds),
        cap=timedelta(seconds=settings.notification_retry_cap_seconds),
    )


class NotificationContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    clock: providers.Dependency[Clock] = providers.Dependency()
    databases = providers.Dependency(instance_of=Databases)

    memory_store = providers.Singleton(in_memory_notification_store)
    unit_of_work = providers.Singleton(
        _unit_of_work, "notification", _NOTIFICATION_STORES, settings, databases, memory_store
    )
    # Writes recipients, deliveries, inbox messages and reminders; never sends.
    subscription = providers.Singleton(notification_subscription, unit_of_work, clock)
    # E-mail, SMS and push (logging adapters when not configured); closed on shutdown.
    channels = providers.Singleton(build_channels, settings)
    handlers = providers.Singleton(
        NotificationHandlers,
        providers.Factory(
            NotificationDependencies,
            uow=unit_of_work,
            clock=clock,
            channels=channels,
            retry=providers.Factory(_retry_policy, settings),
        ),
    )


def _build_bus(
    auth: AuthHandlers,
    booking: BookingHandlers,
    clinic: ClinicHandlers,
    inventory: InventoryHandlers,
    *,
    customer_orders: CustomerOrderHandlers | None = None,
    vendor: VendorHandlers | None = None,
    notification: NotificationHandlers | None = None,
    finance: FinanceHandlers | None = None,
) -> MessageBus:
    bus = MessageBus()
    auth.register(bus)
    booking.register(bus)
    inventory.register(bus)
    if customer_orders is not None:
        customer_orders.register(bus)
    clinic.register(bus)
    if vendor is not None:
        vendor.register(bus)
    if notification is not None:
        notification.register(bus)
    if finance is not None:
        finance.register(bus)
    return bus


def _bus_of(container: containers.Container) -> Callable[[], MessageBus]:
    """The container's bus, fetched when first needed (it is built after its handlers)."""
    return lambda: container.bus()


class ApplicationContainer(containers.DeclarativeContainer):
    __self__ = providers.Self()
    settings = providers.Singleton(Settings)
    clock = providers.Singleton(SystemClock)
    databases = providers.Singleton(Databases, settings)

    faults = providers.Singleton(FaultPoints.from_environment)

    auth = providers.Container(AuthContainer, settings=settings, clock=clock, databases=databases)
    booking = providers.Container(
        BookingContainer,
        settings=settings,
        clock=clock,
        databases=databases,
        bus=providers.Callable(_bus_of, __self__),
    )
    inventory = providers.Container(
        InventoryContainer,
        settings=settings,
        clock=clock,
        databases=databases,
        payments=booking.payments,
    )
    clinic = providers.Container(
        ClinicContainer,
        settings=settings,
        clock=clock,
        databases=databases,
        bus=providers.Callable(_bus_of, __self__),
    )
    vendor = providers.Container(
        VendorContainer,
        settings=settings,
        clock=clock,
        databases=databases,
        bus=providers.Callable(_bus_of, __self__),
    )
    notification = providers.Container(
        NotificationContainer, settings=settings, clock=clock, databases=databases
    )
    finance = providers.Container(
        FinanceContainer,
        settings=settings,
        clock=clock,
        databases=databases,
        bus=providers.Callable(_bus_of, __self__),
    )

    bus = providers.Singleton(
        _build_bus,
        auth.handlers,
        booking.handlers,
        clinic.handlers,
        inventory.handlers,
        customer_orders=inventory.customer_orders,
        vendor=vendor.handlers,
        notification=notification.handlers,
        finance=finance.handlers,
    )
    backbone = providers.Singleton(
        EventBackbone,
        settings=settings,
        databases=databases,
        memory_stores=providers.Dict(
            auth=auth.memory_store,
            booking=booking.memory_store,
            clinic=clinic.memory_store,
            inventory=inventory.memory_store,
            vendor=vendor.memory_store,
            notification=notification.memory_store,
            finance=finance.memory_store,
        ),
        subscriptions=providers.Dict(
            booking=booking.subscription,
            auth=auth.subscription,
            vendor=vendor.subscription,
            inventory=inventory.subscription,
            notification=notification.subscription,
            finance=finance.subscription,
        ),
        faults=faults,
    )


def build_container(
    settings: Settings | None = None, *, clock: object | None = None
) -> ApplicationContainer:
    """The composition root. Tests pass their own settings (and clock)."""
    container = ApplicationContainer()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    if clock is not None:
        container.clock.override(providers.Object(clock))
    return container

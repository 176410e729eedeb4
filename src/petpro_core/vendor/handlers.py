"""Application services of the vendor context: one handler per command.

Who may do what: admins everything. A vendor's members (users holding the vendor role whom
an admin added to it) see and manage that vendor, its supply catalogue and its purchase
orders; someone else's vendor or order answers not-found to them. Clinic staff see every
vendor, catalogue and order (the goods come to their clinics) and may record deliveries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from petpro_core.shared.actors import Actor
from petpro_core.shared.clock import Clock
from petpro_core.shared.errors import InvalidInput
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.pagination import Page
from petpro_core.vendor.commands import (
    AddSupplyItem,
    AddVendorMember,
    CancelPurchaseOrder,
    ConfirmPurchaseOrder,
    CreatePurchaseOrder,
    CreateVendor,
    DeliverPurchaseOrder,
    GetCatalogueProduct,
    GetPurchaseOrder,
    GetVendor,
    GetVendorInventoryStatus,
    ListPurchaseOrders,
    ListSupplyItems,
    ListVendors,
    RebuildInventoryStatus,
    ShipPurchaseOrder,
    UpdateSupplyItem,
    UpdateVendor,
)
from petpro_core.vendor.domain.catalogue import (
    CatalogueProduct,
    SupplyItem,
    parse_cost,
    parse_count,
    parse_vendor_sku,
)
from petpro_core.vendor.domain.errors import (
    AdminOnly,
    ConcurrentVendorUpdate,
    NotVendorMember,
    ProductNotFound,
    PurchaseOrderNotFound,
    RoleNotHeld,
    SupplyItemNotFound,
    VendorNotFound,
    VendorUserNotFound,
)
from petpro_core.vendor.domain.orders import OrderOrigin, OrderStatus, PurchaseOrder
from petpro_core.vendor.domain.status import VendorStockRow
from petpro_core.vendor.domain.vendors import (
    CLINIC_STAFF_ROLE,
    VENDOR_ROLE,
    Vendor,
    parse_email,
    parse_flag,
    parse_lead_time,
    parse_phone,
    parse_vendor_name,
)
from petpro_core.vendor.ports import (
    OrderFilter,
    UserDirectory,
    VendorUnitOfWork,
    VendorUnitOfWorkFactory,
)
from petpro_core.vendor.projections import rebuild_status

MAX_TEXT = 200
MAX_REASON = 500


@dataclass(frozen=True, kw_only=True)
class VendorDependencies:
    uow: VendorUnitOfWorkFactory
    users: UserDirectory
    clock: Clock


# -- who may see and do what ------------------------------------------------------------------


def _is_member(actor: Actor, vendor_id: UUID, vendor: Vendor | None) -> bool:
    return (
        vendor is not None
        and vendor.vendor_id == vendor_id
        and actor.has_role(VENDOR_ROLE)
        and vendor.is_member(actor.user_id)
    )


def _sees_all(actor: Actor) -> bool:
    return actor.is_admin or actor.has_role(CLINIC_STAFF_ROLE)


def _may_see(actor: Actor, vendor: Vendor) -> bool:
    return _sees_all(actor) or _is_member(actor, vendor.vendor_id, vendor)


def _may_manage(actor: Actor, vendor: Vendor) -> bool:
    return actor.is_admin or _is_member(actor, vendor.vendor_id, vendor)


async def _visible_vendor(uow: VendorUnitOfWork, actor: Actor, vendor_id: UUID) -> Vendor:
    vendor = await uow.vendors.get(vendor_id)
    if vendor is None or not _may_see(actor, vendor):
        raise VendorNotFound("no such vendor")
    return vendor


async def _managed_vendor(uow: VendorUnitOfWork, actor: Actor, vendor_id: UUID) -> Vendor:
    vendor = await _visible_vendor(uow, actor, vendor_id)
    if not _may_manage(actor, vendor):
        raise NotVendorMember("only an administrator or the vendor's members may do this")
    return vendor


async def _visible_order(
    uow: VendorUnitOfWork, actor: Actor, purchase_order_id: UUID
) -> tuple[PurchaseOrder, Vendor | None]:
    order = await uow.orders.get(purchase_order_id)
    if order is None:
        raise PurchaseOrderNotFound("no such purchase order")
    if _sees_all(actor):
        return order, await uow.vendors.get(order.vendor_id)
    vendor = await uow.vendors.get(order.vendor_id)
    if not _is_member(actor, order.vendor_id, vendor):
        raise PurchaseOrderNotFound("no such purchase order")
    return order, vendor


async def _managed_order(
    uow: VendorUnitOfWork, actor: Actor, purchase_order_id: UUID, *, clinic_staff: bool = False
) -> PurchaseOrder:
    order, vendor = await _visible_order(uow, actor, purchase_order_id)
    allowed = actor.is_admin or _is_member(actor, order.vendor_id, vendor)
    if clinic_staff:
        allowed = allowed or actor.has_role(CLINIC_STAFF_ROLE)
    if not allowed:
        who = "the vendor's members or clinic staff" if clinic_staff else "the vendor's members"
        raise NotVendorMember(f"only an administrator or {who} may do this")
    return order


def _check_version(current: int, expected: int | None, what: str) -> None:
    if expected is not None and expected != current:
        raise ConcurrentVendorUpdate(
            f"the {what} is at version {current}, not {expected}: someone changed it; reload"
        )


def _text(raw: object, field: str, maximum: int = MAX_TEXT) -> str:
    if not isinstance(raw, str) or not " ".join(raw.split()):
        raise InvalidInput(f"{field} must not be empty", field=field)
    text = " ".join(raw.split())
    if len(text) > maximum:
        raise InvalidInput(f"{field} is at most {maximum} characters", field=field)
    return text


class VendorHandlers:
    def __init__(self, deps: VendorDependencies) -> None:
        self._deps = deps

    def register(self, bus: MessageBus) -> None:
        handlers: dict[type[Any], Any] = {
            CreateVendor: self.create_vendor,
            UpdateVendor: self.update_vendor,
            AddVendorMember: self.add_member,
            GetVendor: self.get_vendor,
            ListVendors: self.list_vendors,
            AddSupplyItem: self.add_supply_item,
            UpdateSupplyItem: self.update_supply_item,
            ListSupplyItems: self.list_supply_items,
            GetCatalogueProduct: self.get_catalogue_product,
            CreatePurchaseOrder: self.create_purchase_order,
            ConfirmPurchaseOrder: self.confirm,
            ShipPurchaseOrder: self.ship,
            DeliverPurchaseOrder: self.deliver,
            CancelPurchaseOrder: self.cancel,
            GetPurchaseOrder: self.get_purchase_order,
            ListPurchaseOrders: self.list_purchase_orders,
            GetVendorInventoryStatus: self.inventory_status,
            RebuildInventoryStatus: self.rebuild_status,
        }
        for command_type, handler in handlers.items():
            bus.register_command(command_type, handler)

    def _now(self) -> datetime:
        return self._deps.clock.now()

    # -- vendors ---------------------------------------------------------------------------

    async def create_vendor(self, cmd: CreateVendor) -> Vendor:
        if not cmd.actor.is_admin:
            raise AdminOnly("only an administrator may add a vendor")
        now = self._now()
        vendor = Vendor(
            vendor_id=new_id(),
            name=parse_vendor_name(cmd.name),
            email=parse_email(cmd.email),
            phone=parse_phone(cmd.phone),
            lead_time_days=parse_lead_time(cmd.lead_time_days),
            active=parse_flag(cmd.active, "active"),
            member_ids=(),
            created_at=now,
            updated_at=now,
        )
        async with self._deps.uow() as uow:
            await uow.vendors.add(vendor)
            await uow.commit()
        return vendor

    async def update_vendor(self, cmd: UpdateVendor) -> Vendor:
        parsers: dict[str, Any] = {
            "name": parse_vendor_name,
            "email": parse_email,
            "phone": parse_phone,
            "lead_time_days": parse_lead_time,
            "active": lambda raw: parse_flag(raw, "active"),
        }
        changes = {name: parsers[name](raw) for name, raw in cmd.changes().items()}
        async with self._deps.uow() as uow:
            vendor = await _visible_vendor(uow, cmd.actor, cmd.vendor_id)
            if not cmd.actor.is_admin:
                raise AdminOnly("only an administrator may change a vendor")
            _check_version(vendor.version, cmd.expected_version, "vendor")
            changed = vendor.change(self._now(), **changes)
            if changed is not vendor:
                await uow.vendors.save(changed)
                await uow.commit()
        return changed

    async def add_member(self, cmd: AddVendorMember) -> Vendor:
        async with self._deps.uow() as uow:
            await _visible_vendor(uow, cmd.actor, cmd.vendor_id)
            if not cmd.actor.is_admin:
                raise AdminOnly("only an administrator may add a vendor's members")
        # Ask auth outside the transaction: no lock waits on another context.
        roles = await self._deps.users.roles_of(cmd.user_id)
        if roles is None:
            raise VendorUserNotFound("no such user")
        if VENDOR_ROLE not in roles:
            raise RoleNotHeld(
                "the user does not hold the vendor role; grant it first", field="user_id"
            )
        async with self._deps.uow() as uow:
            vendor = await _visible_vendor(uow, cmd.actor, cmd.vendor_id)
            changed = vendor.with_member(cmd.user_id, self._now())
            if changed is not vendor:
                await uow.vendors.save(changed)
                await uow.commit()
        return changed

    async def get_vendor(self, cmd: GetVendor) -> Vendor:
        async with self._deps.uow() as uow:
            return await _visible_vendor(uow, cmd.actor, cmd.vendor_id)

    async def list_vendors(self, cmd: ListVendors) -> Page[Vendor]:
        member = None if _sees_all(cmd.actor) else cmd.actor.user_id
        if member is not None and not cmd.actor.has_role(VENDOR_ROLE):
            return Page(items=[], total=0, limit=cmd.page.limit, offset=cmd.page.offset)
        async with self._deps.uow() as uow:
            items, total = await uow.vendors.list(cmd.page, member=member)
        return Page(items=items, total=total, limit=cmd.page.limit, offset=cmd.page.offset)

    # -- supply catalogue ------------------------------------------------------------------

    async def add_supply_item(self, cmd: AddSupplyItem) -> SupplyItem:
        vendor_sku = parse_vendor_sku(cmd.vendor_sku)
        unit_cost = parse_cost(cmd.unit_cost)
        minimum_order = parse_count(cmd.minimum_order, "minimum_order")
        pack_size = parse_count(cmd.pack_size, "pack_size")
        now = self._now()
        async with self._deps.uow() as uow:
            vendor = await _managed_vendor(uow, cmd.actor, cmd.vendor_id)
            if await uow.products.get(cmd.product_id) is None:
                raise ProductNotFound(
                    "no such product in the catalogue (inventory has not published it)",
                    field="product_id",
                )
            item = SupplyItem(
                item_id=new_id(),
                vendor_id=vendor.vendor_id,
                product_id=cmd.product_id,
                vendor_sku=vendor_sku,
                unit_cost=unit_cost,
                minimum_order=minimum_order,
                pack_size=pack_size,
                active=True,
                created_at=now,
                updated_at=now,
            )
            await uow.supply.add(item)
            await uow.commit()
        return item

    async def update_supply_item(self, cmd: UpdateSupplyItem) -> SupplyItem:
        parsers: dict[str, Any] = {
            "vendor_sku": parse_vendor_sku,
            "unit_cost": parse_cost,
            "minimum_order": lambda raw: parse_count(raw, "minimum_order"),
            "pack_size": lambda raw: parse_count(raw, "pack_size"),
            "active": lambda raw: parse_flag(raw, "active"),
        }
        changes = {name: parsers[name](raw) for name, raw in cmd.changes().items()}
        async with self._deps.uow() as uow:
            vendor = await _managed_vendor(uow, cmd.actor, cmd.vendor_id)
            item = await uow.supply.get(cmd.item_id)
            if item is None or item.vendor_id != vendor.vendor_id:
                raise SupplyItemNotFound("no such item in the vendor's catalogue")
            _check_version(item.version, cmd.expected_version, "supply item")
            changed = item.change(self._now(), **changes)
            if changed is not item:
                await uow.supply.save(changed)
                await uow.commit()
        return changed

    async def list_supply_items(self, cmd: ListSupplyItems) -> list[SupplyItem]:
        async with self._deps.uow() as uow:
            await _visible_vendor(uow, cmd.actor, cmd.vendor_id)
            return await uow.supply.of_vendor(cmd.vendor_id, include_inactive=cmd.include_inactive)

    async def get_catalogue_product(self, cmd: GetCatalogueProduct) -> CatalogueProduct:
        async with self._deps.uow() as uow:
            product = await uow.products.get(cmd.product_id)
        if product is None:
            raise ProductNotFound("no such product in the catalogue")
        return product

    # -- purchase orders -------------------------------------------------------------------

    async def create_purchase_order(self, cmd: CreatePurchaseOrder) -> PurchaseOrder:
        if not cmd.actor.is_admin:
            raise AdminOnly("only an administrator may order manually")
        wanted = parse_count(cmd.quantity, "quantity")
        async with self._deps.uow() as uow:
            vendor = await _visible_vendor(uow, cmd.actor, cmd.vendor_id)
            product = await uow.products.get(cmd.product_id)
            if product is None:
                raise ProductNotFound("no such product in the catalogue", field="product_id")
            item = next(
                (
                    i
                    for i in await uow.supply.for_product(cmd.product_id)
                    if i.vendor_id == vendor.vendor_id
                ),
                None,
            )
            if item is None or not item.active:
                raise SupplyItemNotFound(
                    "the vendor does not supply this product", field="product_id"
                )
            order, created = PurchaseOrder.place(
                purchase_order_id=new_id(),
                vendor_id=vendor.vendor_id,
                vendor_name=vendor.name,
                lead_time_days=vendor.lead_time_days,
                product_id=product.product_id,
                sku=product.sku,
                vendor_sku=item.vendor_sku,
                location_id=cmd.location_id,
                quantity=item.order_quantity(wanted),
                unit_cost=item.unit_cost,
                origin=OrderOrigin.MANUAL,
                origin_event_id=None,
                note=None,
                now=self._now(),
            )
            await uow.orders.add(order)  # OpenOrderExists: one open order per product here
            uow.record(created)
            await uow.commit()
        return order

    async def confirm(self, cmd: ConfirmPurchaseOrder) -> PurchaseOrder:
        async with self._deps.uow() as uow:
            order = await _managed_order(uow, cmd.actor, cmd.purchase_order_id)
            _check_version(order.version, cmd.expected_version, "purchase order")
            changed, event = order.confirm(self._now(), cmd.expected_on)
            await uow.orders.save(changed)
            uow.record(event)
            await uow.commit()
        return changed

    async def ship(self, cmd: ShipPurchaseOrder) -> PurchaseOrder:
        carrier = _text(cmd.carrier, "carrier")
        tracking = _text(cmd.tracking_number, "tracking_number")
        quantity = None if cmd.quantity is None else parse_count(cmd.quantity, "quantity")
        now = self._now()
        if cmd.expected_delivery_on < now.date():
            raise InvalidInput(
                "the expected delivery date is in the past", field="expected_delivery_on"
            )
        async with self._deps.uow() as uow:
            order = await _managed_order(uow, cmd.actor, cmd.purchase_order_id)
            _check_version(order.version, cmd.expected_version, "purchase order")
            changed, event = order.ship(
                now,
                shipment_id=new_id(),
                carrier=carrier,
                tracking_number=tracking,
                expected_on=cmd.expected_delivery_on,
                quantity=quantity,
            )
            await uow.orders.save(changed)
            uow.record(event)
            await uow.commit()
        return changed

    async def deliver(self, cmd: DeliverPurchaseOrder) -> PurchaseOrder:
        quantity = parse_count(cmd.quantity, "quantity")
        async with self._deps.uow() as uow:
            order = await _managed_order(uow, cmd.actor, cmd.purchase_order_id, clinic_staff=True)
            if cmd.delivery_id is not None and order.delivery(cmd.delivery_id) is not None:
                return order  # a repeat of a recorded delivery
            _check_version(order.version, cmd.expected_version, "purchase order")
            changed, event = order.deliver(
                self._now(), delivery_id=cmd.delivery_id or new_id(), quantity=quantity
            )
            if event is not None:
                await uow.orders.save(changed)
                uow.record(event)
                await uow.commit()
        return changed

    async def cancel(self, cmd: CancelPurchaseOrder) -> PurchaseOrder:
        reason = _text(cmd.reason, "reason", MAX_REASON)
        async with self._deps.uow() as uow:
            order = await _managed_order(uow, cmd.actor, cmd.purchase_order_id)
            _check_version(order.version, cmd.expected_version, "purchase order")
            changed, event = order.cancel(self._now(), reason)
            await uow.orders.save(changed)
            uow.record(event)
            await uow.commit()
        return changed

    async def get_purchase_order(self, cmd: GetPurchaseOrder) -> PurchaseOrder:
        async with self._deps.uow() as uow:
            order, _ = await _visible_order(uow, cmd.actor, cmd.purchase_order_id)
        return order

    async def list_purchase_orders(self, cmd: ListPurchaseOrders) -> Page[PurchaseOrder]:
        status = None
        if cmd.status is not None:
            try:
                status = OrderStatus(cmd.status)
            except ValueError:
                allowed = ", ".join(s.value for s in OrderStatus)
                raise InvalidInput(f"status is one of {allowed}", field="status") from None
        empty: Page[PurchaseOrder] = Page(
            items=[], total=0, limit=cmd.page.limit, offset=cmd.page.offset
        )
        vendor_ids: tuple[UUID, ...] | None = None if cmd.vendor_id is None else (cmd.vendor_id,)
        async with self._deps.uow() as uow:
            if not _sees_all(cmd.actor):
                if not cmd.actor.has_role(VENDOR_ROLE):
                    return empty
                own = [v.vendor_id for v in await uow.vendors.of_member(cmd.actor.user_id)]
                vendor_ids = tuple(v for v in own if cmd.vendor_id in (None, v))
                if not vendor_ids:
                    return empty
            wanted = OrderFilter(
                vendor_ids=vendor_ids,
                status=status,
                product_id=cmd.product_id,
                location_id=cmd.location_id,
            )
            items, total = await uow.orders.list(wanted, cmd.page)
        return Page(items=items, total=total, limit=cmd.page.limit, offset=cmd.page.offset)

    # -- inventory status ------------------------------------------------------------------

    async def inventory_status(self, cmd: GetVendorInventoryStatus) -> list[VendorStockRow]:
        async with self._deps.uow() as uow:
            vendor = await _visible_vendor(uow, cmd.actor, cmd.vendor_id)
            items = await uow.supply.of_vendor(vendor.vendor_id, include_inactive=False)
            by_product = {item.product_id: item for item in items}
            product_ids = list(by_product)
            rows = await uow.status.of_products(product_ids)
            products = await uow.products.get_many(product_ids)
            open_orders = {
                (o.product_id, o.location_id): o
                for o in await uow.orders.open_for_products(product_ids)
            }
            decisions = await uow.decisions.latest_for(
                [(row.product_id, row.location_id) for row in rows]
            )
        answer = []
        for row in rows:
            key = (row.product_id, row.location_id)
            product = products.get(row.product_id)
            order = open_orders.get(key)
            answer.append(
                VendorStockRow(
                    vendor_id=vendor.vendor_id,
                    vendor_name=vendor.name,
                    product_id=row.product_id,
                    sku=product.sku if product else row.sku,
                    product_name=product.name if product else row.product_name,
                    vendor_sku=by_product[row.product_id].vendor_sku,
                    location_id=row.location_id,
                    on_hand=row.on_hand,
                    reserved=row.reserved,
                    available=row.available,
                    threshold=row.threshold,
                    reorder_quantity=row.reorder_quantity,
                    needs_reorder=row.needs_reorder,
                    open_purchase_order_id=order.purchase_order_id if order else None,
                    open_purchase_order_status=order.status.value if order else None,
                    last_reorder=decisions.get(key),
                )
            )
        return answer

    async def rebuild_status(self, cmd: RebuildInventoryStatus) -> int:
        if not cmd.actor.is_admin:
            raise AdminOnly("only an administrator may rebuild the status view")
        async with self._deps.uow() as uow:
            count = await rebuild_status(uow)
            await uow.commit()
        return count

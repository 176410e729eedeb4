"""The Product aggregate: what the shop and the clinics stock, identified by a unique SKU."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from petpro_core.contracts.inventory import ProductCreated, ProductUpdated
from petpro_core.shared.clock import ensure_aware
from petpro_core.shared.errors import InvalidInput
from petpro_core.shared.money import Money

# The widths of the SQL columns; checked here so every store agrees.
MAX_SKU_LENGTH = 64
MAX_NAME_LENGTH = 200
MAX_UNIT_LENGTH = 50
MAX_SPECIES_LENGTH = 50
_SKU = re.compile(r"[A-Z0-9][A-Z0-9._-]*")


def normalise_sku(raw: str) -> str:
    """SKUs compare case-insensitively: stored upper-case, letters, digits, `.`, `_`, `-`."""
    sku = raw.strip().upper()
    if not 1 <= len(sku) <= MAX_SKU_LENGTH or not _SKU.fullmatch(sku):
        raise InvalidInput(
            f"sku must be 1 to {MAX_SKU_LENGTH} letters, digits, '.', '_' or '-'", field="sku"
        )
    return sku


def _text(value: str, field: str, max_length: int) -> str:
    cleaned = unicodedata.normalize("NFKC", value).strip()
    if not 1 <= len(cleaned) <= max_length:
        raise InvalidInput(f"{field} must be 1 to {max_length} characters", field=field)
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise InvalidInput(f"{field} must not contain control characters", field=field)
    return cleaned


@dataclass(frozen=True, kw_only=True)
class Product:
    product_id: UUID
    sku: str
    name: str
    unit: str  # how stock is counted, e.g. "box of 30"
    price: Money
    category_id: UUID | None = None
    species: tuple[str, ...] = ()  # the animals it is for; empty: any
    active: bool = True
    created_at: datetime
    updated_at: datetime
    version: int = 1

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "sku", normalise_sku(self.sku))
        set_(self, "name", _text(self.name, "name", MAX_NAME_LENGTH))
        set_(self, "unit", _text(self.unit, "unit", MAX_UNIT_LENGTH))
        species = tuple(
            sorted({_text(s, "species", MAX_SPECIES_LENGTH).lower() for s in self.species})
        )
        set_(self, "species", species)
        if self.price.amount < 0:
            raise InvalidInput("price must not be negative", field="price")
        set_(self, "created_at", ensure_aware(self.created_at))
        set_(self, "updated_at", ensure_aware(self.updated_at))
        if self.version < 1:
            raise ValueError("a product's version starts at 1")

    @classmethod
    def create(
        cls,
        *,
        product_id: UUID,
        sku: str,
        name: str,
        unit: str,
        price: Money,
        category_id: UUID | None,
        species: tuple[str, ...],
        now: datetime,
    ) -> tuple[Product, ProductCreated]:
        product = cls(
            product_id=product_id,
            sku=sku,
            name=name,
            unit=unit,
            price=price,
            category_id=category_id,
            species=species,
            created_at=now,
            updated_at=now,
        )
        return product, ProductCreated(
            occurred_at=now,
            aggregate_version=product.version,
            product_id=product.product_id,
            sku=product.sku,
            name=product.name,
            unit=product.unit,
            price=product.price,
            category_id=product.category_id,
            species=product.species,
            active=product.active,
        )

    def updated(
        self,
        *,
        name: str,
        unit: str,
        price: Money,
        category_id: UUID | None,
        species: tuple[str, ...],
        active: bool,
        now: datetime,
    ) -> tuple[Product, ProductUpdated]:
        """The product with these values, one version on, and its product.updated event."""
        product = replace(
            self,
            name=name,
            unit=unit,
            price=price,
            category_id=category_id,
            species=species,
            active=active,
            updated_at=now,
            version=self.version + 1,
        )
        return product, ProductUpdated(
            occurred_at=now,
            aggregate_version=product.version,
            product_id=product.product_id,
            sku=product.sku,
            name=product.name,
            unit=product.unit,
            price=product.price,
            category_id=product.category_id,
            species=product.species,
            active=product.active,
        )


@dataclass(frozen=True, kw_only=True)
class ProductFilter:
    """What ListProducts selects: every given criterion holds. `category_ids` are a category
    and its descendants; `species` matches products for that species or for any; `text` is
    a case-insensitive part of the name or SKU."""

    category_ids: frozenset[UUID] | None = None
    species: str | None = None
    active: bool | None = None
    text: str | None = None

    def __post_init__(self) -> None:
        if self.species is not None:
            object.__setattr__(
                self, "species", _text(self.species, "species", MAX_SPECIES_LENGTH).lower()
            )
        if self.text is not None:
            cleaned = self.text.strip()
            object.__setattr__(self, "text", cleaned or None)
            if cleaned and len(cleaned) > MAX_NAME_LENGTH:
                raise InvalidInput(f"text must be at most {MAX_NAME_LENGTH} characters")

    def matches(self, product: Product) -> bool:
        if self.category_ids is not None and product.category_id not in self.category_ids:
            return False
        if self.species is not None and product.species and self.species not in product.species:
            return False
        if self.active is not None and product.active != self.active:
            return False
        if self.text is not None:
            needle = self.text.lower()
            return needle in product.name.lower() or needle in product.sku.lower()
        return True

"""Money: a Decimal amount and an ISO 4217 currency; never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Minor units of the currencies PetPro prices in; extend as clinics open elsewhere.
MINOR_UNITS: dict[str, int] = {
    "AUD": 2,
    "CAD": 2,
    "CHF": 2,
    "EUR": 2,
    "GBP": 2,
    "JPY": 0,
    "NZD": 2,
    "USD": 2,
}


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, float) or not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        if not self.amount.is_finite():
            raise ValueError("Money.amount must be finite")
        if self.currency not in MINOR_UNITS:
            raise ValueError(f"unsupported currency {self.currency!r}")
        minor_unit = Decimal(1).scaleb(-MINOR_UNITS[self.currency])
        if self.amount != self.amount.quantize(minor_unit):
            raise ValueError(
                f"{self.currency} has {MINOR_UNITS[self.currency]} minor digits; got {self.amount}"
            )

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        if isinstance(amount, float):  # Decimal(1.5) is exact: refuse floats before converting
            raise TypeError("Money amounts are Decimal, int or text; never float")
        try:
            return cls(Decimal(amount), currency)
        except InvalidOperation as exc:
            raise ValueError(f"not an amount: {amount!r}") from exc

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

"""Message templates: what each kind of message says, in English and Japanese.

A kind's category, whether it is transactional (ignores quiet hours) and its default
channels are fixed here, once; the words are per language (`templates_en`, `templates_ja`).
Texts use `string.Template` placeholders (`$starts`); every language of a kind uses the
same placeholders, and rendering with one missing is an error (a unit test renders every
kind in every language). `$name` is always the recipient's display name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from string import Template as _Text
from types import MappingProxyType

from petpro_core.notification.channels import Channel
from petpro_core.notification.domain.preferences import Category
from petpro_core.notification.domain.recipients import DEFAULT_LANGUAGE, known_language
from petpro_core.notification.domain.templates_en import PHRASES as EN_PHRASES
from petpro_core.notification.domain.templates_en import TEXTS as EN_TEXTS
from petpro_core.notification.domain.templates_ja import PHRASES as JA_PHRASES
from petpro_core.notification.domain.templates_ja import TEXTS as JA_TEXTS

_ALL = frozenset(Channel)
_INBOX_EMAIL = frozenset({Channel.IN_APP, Channel.EMAIL})
_INBOX = frozenset({Channel.IN_APP})


@dataclass(frozen=True, kw_only=True)
class KindSpec:
    category: Category
    transactional: bool
    channels: frozenset[Channel]


KINDS: Mapping[str, KindSpec] = MappingProxyType(
    {
        "booking.created": KindSpec(
            category=Category.APPOINTMENTS, transactional=False, channels=_INBOX
        ),
        "booking.confirmed": KindSpec(
            category=Category.APPOINTMENTS, transactional=True, channels=_ALL
        ),
        "booking.failed": KindSpec(
            category=Category.APPOINTMENTS, transactional=True, channels=_ALL
        ),
        "booking.cancelled": KindSpec(
            category=Category.APPOINTMENTS, transactional=True, channels=_ALL
        ),
        "booking.rescheduled": KindSpec(
            category=Category.APPOINTMENTS, transactional=True, channels=_ALL
        ),
        "booking.reminder": KindSpec(
            category=Category.REMINDERS, transactional=False, channels=_ALL
        ),
        "payment.processed": KindSpec(
            category=Category.RECEIPTS, transactional=True, channels=_INBOX_EMAIL
        ),
        "payment.refunded": KindSpec(
            category=Category.PAYMENTS, transactional=True, channels=_INBOX_EMAIL
        ),
        "stock.low": KindSpec(category=Category.STOCK, transactional=False, channels=_INBOX_EMAIL),
        "stock.received": KindSpec(category=Category.STOCK, transactional=False, channels=_INBOX),
        "shipment.created": KindSpec(
            category=Category.PURCHASING, transactional=False, channels=_INBOX_EMAIL
        ),
        "order.confirmed": KindSpec(
            category=Category.PURCHASING, transactional=False, channels=_INBOX_EMAIL
        ),
        "order.cancelled": KindSpec(
            category=Category.PURCHASING, transactional=False, channels=_INBOX_EMAIL
        ),
        "order.delivered": KindSpec(
            category=Category.PURCHASING, transactional=False, channels=_INBOX_EMAIL
        ),
        "customer_order.placed": KindSpec(
            category=Category.SHOP, transactional=True, channels=_INBOX_EMAIL
        ),
        "customer_order.fulfilled": KindSpec(
            category=Category.SHOP, transactional=True, channels=_INBOX_EMAIL
        ),
        "customer_order.cancelled": KindSpec(
            category=Category.SHOP, transactional=True, channels=_INBOX_EMAIL
        ),
    }
)

TEXTS: Mapping[str, Mapping[str, tuple[str, str]]] = MappingProxyType(
    {"en": EN_TEXTS, "ja": JA_TEXTS}
)
PHRASES: Mapping[str, Mapping[str, str]] = MappingProxyType({"en": EN_PHRASES, "ja": JA_PHRASES})


class TemplateError(ValueError):
    """A template asked for a value the message did not provide (a bug, caught by tests)."""


@dataclass(frozen=True, kw_only=True)
class Template:
    kind: str
    language: str
    category: Category
    transactional: bool
    channels: frozenset[Channel]
    subject: str
    body: str

    def placeholders(self) -> frozenset[str]:
        found: set[str] = set()
        for text in (self.subject, self.body):
            found.update(
                named or braced
                for _, named, braced, _ in _Text.pattern.findall(text)
                if named or braced
            )
        return frozenset(found)

    def render(self, values: Mapping[str, str]) -> tuple[str, str]:
        """(subject, body) with every placeholder filled; TemplateError when one is missing."""
        try:
            return _Text(self.subject).substitute(values), _Text(self.body).substitute(values)
        except KeyError as missing:
            raise TemplateError(
                f"{self.kind} ({self.language}) needs the value {missing.args[0]!r}"
            ) from None


def template_for(kind: str, language: str) -> Template:
    """The kind's template in the language (English when we have no such language)."""
    spec = KINDS[kind]
    language = known_language(language)
    subject, body = TEXTS[language].get(kind) or TEXTS[DEFAULT_LANGUAGE][kind]
    return Template(
        kind=kind,
        language=language,
        category=spec.category,
        transactional=spec.transactional,
        channels=spec.channels,
        subject=subject,
        body=body,
    )


def phrase(language: str, key: str) -> str:
    """A short localised word used inside values (a payment method, "partial")."""
    language = known_language(language)
    return PHRASES[language].get(key) or PHRASES[DEFAULT_LANGUAGE].get(key, key)

"""English texts of every message kind: (subject, body) with `$placeholder`s."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "booking.created": (
        "New booking held for $starts",
        "Hello $name,\n\nA booking at $clinic is being held for $starts "
        "(booking $booking_ref). It is confirmed once the payment goes through.",
    ),
    "booking.confirmed": (
        "Your booking is confirmed",
        "Hello $name,\n\nYour appointment at $clinic on $starts (until $ends) is confirmed.\n"
        "Paid: $price\nBooking reference: $booking_ref\n\nWe will remind you the day before.",
    ),
    "booking.failed": (
        "We could not complete your booking",
        "Hello $name,\n\nYour booking at $clinic for $starts could not be completed: "
        "$reason\nAnything charged for it is refunded in full. Booking reference: $booking_ref",
    ),
    "booking.cancelled": (
        "Your booking was cancelled",
        "Hello $name,\n\nYour appointment at $clinic on $starts was cancelled: $reason\n"
        "Refund: $refund\nBooking reference: $booking_ref",
    ),
    "booking.rescheduled": (
        "Your booking was moved to $starts",
        "Hello $name,\n\nYour appointment at $clinic has moved from $previous_starts "
        "to $starts.\nBooking reference: $booking_ref",
    ),
    "booking.reminder": (
        "Reminder: your appointment on $starts",
        "Hello $name,\n\nThis is a reminder of your appointment at $clinic on $starts.\n"
        "Booking reference: $booking_ref",
    ),
    "payment.processed": (
        "Payment received: $amount",
        "Hello $name,\n\nWe received your payment of $amount by $method "
        "for booking $booking_ref. Thank you.",
    ),
    "payment.refunded": (
        "Refund issued: $amount",
        "Hello $name,\n\nWe refunded $amount for booking $booking_ref. "
        "It may take a few days to appear on your statement.",
    ),
    "stock.low": (
        "Low stock: $product at $location",
        "Hello $name,\n\n$product ($sku) at $location is low: $available available, "
        "reorder threshold $threshold.",
    ),
    "stock.received": (
        "Stock received: $product at $location",
        "Hello $name,\n\n$quantity of $product ($sku) arrived at $location; "
        "$available now available.",
    ),
    "shipment.created": (
        "Purchase order $order_ref shipped",
        "Hello $name,\n\nPurchase order $order_ref for $location was shipped with $carrier "
        "(tracking number $tracking), expected on $expected.",
    ),
    "order.confirmed": (
        "Purchase order $order_ref confirmed",
        "Hello $name,\n\nThe vendor confirmed purchase order $order_ref for $location; "
        "expected on $expected.",
    ),
    "order.cancelled": (
        "Purchase order $order_ref cancelled",
        "Hello $name,\n\nPurchase order $order_ref for $location was cancelled: $reason",
    ),
    "order.delivered": (
        "Purchase order $order_ref delivered",
        "Hello $name,\n\n$delivered units of purchase order $order_ref arrived at "
        "$location ($progress).",
    ),
    "customer_order.placed": (
        "Your order $order_ref is ready for pick-up",
        "Hello $name,\n\nThank you for your order $order_ref ($items items, $total). "
        "Please pick it up at $location by $pick_up_by.",
    ),
    "customer_order.fulfilled": (
        "Order $order_ref collected",
        "Hello $name,\n\nYou collected order $order_ref ($total) at $location. Thank you.",
    ),
    "customer_order.cancelled": (
        "Your order $order_ref was cancelled",
        "Hello $name,\n\nYour order $order_ref at $location was cancelled: $reason\n"
        "Refund: $refund",
    ),
}

PHRASES: dict[str, str] = {
    "location": "location",
    "clinic": "the clinic",
    "method.card": "card",
    "method.cash": "cash",
    "method.bank_transfer": "bank transfer",
    "method.digital_wallet": "digital wallet",
    "method.insurance": "insurance",
    "delivery.partial": "partial delivery, more to come",
    "delivery.complete": "the order is complete",
    "refund.none": "none",
}

# ruff: noqa: RUF001 (full-width parentheses are how Japanese text writes them)
"""Japanese texts of every message kind: (subject, body) with `$placeholder`s."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "booking.created": (
        "新しい予約が仮押さえされました（$starts）",
        "$name さん\n\n$clinic で $starts の予約が仮押さえされました"
        "（予約番号 $booking_ref）。お支払いが完了すると確定します。",
    ),
    "booking.confirmed": (
        "ご予約が確定しました",
        "$name 様\n\n$clinic のご予約（$starts〜$ends）が確定しました。\n"
        "お支払い金額: $price\n予約番号: $booking_ref\n\n前日にリマインダーをお送りします。",
    ),
    "booking.failed": (
        "ご予約を完了できませんでした",
        "$name 様\n\n$clinic の $starts のご予約を完了できませんでした。理由: $reason\n"
        "お支払い済みの料金は全額返金いたします。予約番号: $booking_ref",
    ),
    "booking.cancelled": (
        "ご予約がキャンセルされました",
        "$name 様\n\n$clinic の $starts のご予約はキャンセルされました。理由: $reason\n"
        "返金額: $refund\n予約番号: $booking_ref",
    ),
    "booking.rescheduled": (
        "ご予約の日時が変更されました（$starts）",
        "$name 様\n\n$clinic のご予約の日時が $previous_starts から $starts に"
        "変更されました。\n予約番号: $booking_ref",
    ),
    "booking.reminder": (
        "ご予約日時のお知らせ（$starts）",
        "$name 様\n\n$clinic でのご予約は $starts です。お気をつけてお越しください。\n"
        "予約番号: $booking_ref",
    ),
    "payment.processed": (
        "お支払いを受け付けました（$amount）",
        "$name 様\n\n予約番号 $booking_ref のお支払い $amount（$method）を"
        "受け付けました。ありがとうございます。",
    ),
    "payment.refunded": (
        "返金手続きが完了しました（$amount）",
        "$name 様\n\n予約番号 $booking_ref について $amount を返金いたしました。"
        "ご利用明細への反映には数日かかる場合があります。",
    ),
    "stock.low": (
        "在庫が少なくなっています: $product（$location）",
        "$name さん\n\n$location の $product（$sku）の在庫が少なくなっています。"
        "利用可能数 $available（発注点 $threshold）。",
    ),
    "stock.received": (
        "入荷しました: $product（$location）",
        "$name さん\n\n$location に $product（$sku）が $quantity 個入荷しました。"
        "現在の利用可能数は $available です。",
    ),
    "shipment.created": (
        "発注 $order_ref が発送されました",
        "$name さん\n\n$location 向けの発注 $order_ref が $carrier で発送されました"
        "（追跡番号 $tracking）。到着予定日: $expected",
    ),
    "order.confirmed": (
        "発注 $order_ref が確定しました",
        "$name さん\n\n仕入先が $location 向けの発注 $order_ref を承諾しました。"
        "到着予定日: $expected",
    ),
    "order.cancelled": (
        "発注 $order_ref がキャンセルされました",
        "$name さん\n\n$location 向けの発注 $order_ref はキャンセルされました。理由: $reason",
    ),
    "order.delivered": (
        "発注 $order_ref が納品されました",
        "$name さん\n\n発注 $order_ref の商品が $location に納品されました。"
        "納品済み数量: $delivered（$progress）",
    ),
    "customer_order.placed": (
        "ご注文 $order_ref の準備ができました",
        "$name 様\n\nご注文 $order_ref（$items 点、$total）ありがとうございます。"
        "$pick_up_by までに $location でお受け取りください。",
    ),
    "customer_order.fulfilled": (
        "ご注文 $order_ref をお受け取りいただきました",
        "$name 様\n\n$location でご注文 $order_ref（$total）をお受け取りいただきました。"
        "ありがとうございました。",
    ),
    "customer_order.cancelled": (
        "ご注文 $order_ref がキャンセルされました",
        "$name 様\n\n$location でのご注文 $order_ref はキャンセルされました。理由: $reason\n"
        "返金額: $refund",
    ),
}

PHRASES: dict[str, str] = {
    "location": "拠点",
    "clinic": "クリニック",
    "method.card": "クレジットカード",
    "method.cash": "現金",
    "method.bank_transfer": "銀行振込",
    "method.digital_wallet": "電子マネー",
    "method.insurance": "保険",
    "delivery.partial": "一部納品、残りは後日",
    "delivery.complete": "全数納品済み",
    "refund.none": "なし",
}

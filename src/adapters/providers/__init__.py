"""SMS and push providers behind the notification channel port: a signed webhook (httpx)
and a logging provider (the default while no provider is configured)."""

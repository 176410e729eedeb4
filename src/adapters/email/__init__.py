"""E-mail adapters of the notification channel port: SMTP (aiosmtplib)."""

"""Notification context: templated messages over in-app, e-mail, SMS and push.

Built by its own issue; the package exists so the architecture contracts cover it."""

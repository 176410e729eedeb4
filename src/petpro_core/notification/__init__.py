"""Notification context: turns other contexts' events (and appointment reminders) into
templated messages, in each recipient's language (English or Japanese), over the in-app
inbox, e-mail, SMS and push, never twice, with retries and a delivery log for admins.

`subscriptions` writes deliveries and inbox messages in the consumer's transaction;
`handlers` serves the inbox, preferences and the delivery log, and runs the two sweeps
(dispatching due deliveries through `channels`, sending due reminders)."""

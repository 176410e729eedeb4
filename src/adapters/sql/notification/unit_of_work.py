"""The notification unit of work on SQL: recipients, clinics, preferences, deliveries, in-app
messages, reminders and the event inbox over one transaction, the outbox in it."""

from __future__ import annotations

from adapters.sql.database import SqlDatabase
from adapters.sql.messaging_tables import SqlInbox
from adapters.sql.notification.repositories import (
    SqlClinicRepository,
    SqlDeliveryRepository,
    SqlInboxMessageRepository,
    SqlPreferencesRepository,
    SqlRecipientRepository,
    SqlReminderRepository,
)
from adapters.sql.notification.tables import SCHEMA, inbox, outbox
from adapters.sql.unit_of_work import SqlUnitOfWork
from petpro_core.notification.ports import (
    ClinicRepository,
    DeliveryRepository,
    InboxMessageRepository,
    PreferencesRepository,
    RecipientRepository,
    ReminderRepository,
)
from petpro_core.shared.subscriptions import Inbox


class SqlNotificationUnitOfWork(SqlUnitOfWork):
    def __init__(self, database: SqlDatabase) -> None:
        super().__init__(database, schema=SCHEMA, outbox=outbox)
        # Typed as the ports, so this class satisfies the NotificationUnitOfWork protocol.
        connection = self._require_connection
        self.recipients: RecipientRepository = SqlRecipientRepository(connection)
        self.clinics: ClinicRepository = SqlClinicRepository(connection)
        self.preferences: PreferencesRepository = SqlPreferencesRepository(connection)
        self.deliveries: DeliveryRepository = SqlDeliveryRepository(connection)
        self.messages: InboxMessageRepository = SqlInboxMessageRepository(connection)
        self.reminders: ReminderRepository = SqlReminderRepository(connection)
        self.inbox: Inbox = SqlInbox(connection, inbox)

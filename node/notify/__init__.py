"""Telling members: mail (urgent callouts at once, a daily digest) through the operator's SMTP server, and the
choices, tokens and outbox behind it, node-local rows beside the members. The mailer itself is in `mailer.py`,
started by `setup.py` (imported on its own: the web page needs only the tables)."""

from .notifications import NOTIFY, Notifications, notifications_of
from .prefs import Prefs

__all__ = ["NOTIFY", "Notifications", "Prefs", "notifications_of"]

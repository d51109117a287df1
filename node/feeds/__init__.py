"""Feeds a calendar app or a feed reader subscribes to: iCalendar (RFC 5545) and Atom, from the read models."""

from .atom import FEED_ITEMS, atom_feed
from .calendar import calendar_items, ical_feed

__all__ = ["FEED_ITEMS", "atom_feed", "calendar_items", "ical_feed"]

"""Signals the core sends to the apps above it, which it may not import."""

from django.dispatch import Signal

# After a user's password was replaced or disabled and saved (kam.models.User.save), with
# `user`; not when a login merely rehashes the same password. The credentials that stand in for
# the password (API tokens, the calendar feed's secret URL) end with it: their apps connect here.
password_changed = Signal()

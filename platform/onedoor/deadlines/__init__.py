"""Time limits: working days on the Chinese official calendar, and the deadline handlers."""

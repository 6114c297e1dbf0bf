"""adwarden: decide who may advertise and what may run, and stand behind each decision in public."""

__version__ = "0.1.0"

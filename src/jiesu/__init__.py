"""jiesu (接诉): the case book of an office that answers the 12345 hotline."""

__version__ = "0.1.0"

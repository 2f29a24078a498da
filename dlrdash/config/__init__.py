"""Groups of settings, each imported by dlrdash/settings.py."""

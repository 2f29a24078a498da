"""Templated pages: one module per page family (trace, dashboard, …)."""

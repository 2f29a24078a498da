"""The one way dlrdash writes a date and time, on its pages and in the admin: ISO-like
(sortable, unambiguous between day and month) and with its zone, because the same instant
reads differently to a user in Kolkata and one in London (FORMAT_MODULE_PATH)."""

DATETIME_FORMAT = "Y-m-d H:i:s T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
DATE_FORMAT = "Y-m-d"

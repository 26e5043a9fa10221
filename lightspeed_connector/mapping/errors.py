"""The error a pure mapper raises (no Odoo imports)."""


class MappingError(ValueError):
    """A Lightspeed object cannot be mapped as it is: a business rule, not a bug. The engine
    stores its message on the object's sync record; fixing the cause and retrying clears it."""

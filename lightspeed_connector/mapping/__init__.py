"""Pure payload -> values mappers (no Odoo imports), unit-tested without a database."""

"""Social360: social interactions and CRM data joined into a customer 360 warehouse."""

__version__ = "0.1.0"

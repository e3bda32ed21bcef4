"""reconkit: reconcile CRM, billing, ERP ledger and bank statements."""

__version__ = "0.1.0"

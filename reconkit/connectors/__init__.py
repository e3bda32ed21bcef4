"""Live API connectors (Salesforce, HubSpot, Stripe) with retries, token hygiene and
incremental sync into a local SQLite snapshot that the loaders read after `export`."""

from reconkit.connectors.http import HttpClient, RetryPolicy
from reconkit.connectors.hubspot import HubSpotConfig, sync_hubspot
from reconkit.connectors.salesforce import SalesforceConfig, sync_salesforce
from reconkit.connectors.secrets import Secret, resolve_token
from reconkit.connectors.state import SyncResult, SyncStore
from reconkit.connectors.stripe import StripeConfig, sync_stripe

__all__ = ["HttpClient", "HubSpotConfig", "RetryPolicy", "SalesforceConfig", "Secret",
           "StripeConfig", "SyncResult", "SyncStore", "resolve_token", "sync_hubspot",
           "sync_salesforce", "sync_stripe"]

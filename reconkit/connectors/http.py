"""One HTTP client for every connector: bearer token, timeout, bounded retries, clear errors.

Retries 429 (honouring Retry-After, capped) and 5xx / network failures with exponential
backoff; turns 401/403, exhausted retries and malformed JSON into `ConnectorError`s that name
the source and the URL path, never the token. Backoff and sleep are injectable so tests run in
milliseconds.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Self
from urllib.parse import urlsplit

import httpx

from reconkit.connectors.secrets import Secret
from reconkit.errors import ConnectorError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before giving up on a busy or failing API."""

    max_attempts: int = 5
    backoff_base: float = 0.5       # seconds; doubled at each attempt
    backoff_max: float = 30.0
    retry_after_max: float = 60.0   # cap on a server's Retry-After
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after is not None:
            try:
                return min(max(float(retry_after), 0.0), self.retry_after_max)
            except ValueError:
                pass
        return min(self.backoff_base * 2 ** (attempt - 1), self.backoff_max)


class HttpClient:
    """GET/POST JSON against one API with the source's token."""

    def __init__(self, source: str, base_url: str, token: Secret, *, timeout: float = 30.0,
                 retry: RetryPolicy | None = None) -> None:
        self.source = source
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.retry = retry or RetryPolicy()
        self._client = httpx.Client(
            base_url=self.base_url, timeout=timeout, follow_redirects=False,
            headers={"Authorization": f"Bearer {token.reveal()}",
                     "Accept": "application/json"})

    def __repr__(self) -> str:
        return f"HttpClient(source={self.source!r}, base_url={self.base_url!r}, token=***)"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get_json(self, url: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._request("GET", url, params=params)

    def post_json(self, url: str, body: Mapping[str, Any]) -> Any:
        return self._request("POST", url, json=body)

    def _request(self, method: str, url: str, **kwargs: Any) -> Any:
        path = urlsplit(url).path or url
        last = ""
        for attempt in range(1, self.retry.max_attempts + 1):
            try:
                response = self._client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                last = f"network error {type(exc).__name__}"
                retry_after = None
            else:
                if response.status_code < 400:
                    return self._decode(response, path)
                self._raise_if_final(response, path)
                last = f"HTTP {response.status_code}"
                retry_after = response.headers.get("Retry-After") \
                    if response.status_code == 429 else None
            if attempt < self.retry.max_attempts:
                wait = self.retry.delay(attempt, retry_after)
                log.info("%s %s: %s, retry %d in %.2fs", self.source, path, last, attempt, wait)
                self.retry.sleep(wait)
        raise ConnectorError(
            f"{self.source} kept failing ({last} on {path}) after {self.retry.max_attempts} "
            "attempts",
            hint="the service is busy or down: try again later, or raise max_attempts")

    def _raise_if_final(self, response: httpx.Response, path: str) -> None:
        status = response.status_code
        if status in (401, 403):
            raise ConnectorError(
                f"{self.source} rejected the token (HTTP {status}) on {path}: the token in "
                f"{self._token.origin} is missing, expired or lacks access",
                hint="create a new token with read access to this object and retry")
        if status != 429 and status < 500:
            raise ConnectorError(
                f"{self.source} refused the request (HTTP {status}) on {path}: "
                f"{self._scrub(response.text[:300])}",
                hint="check the connector settings (base URL, API version, object and field "
                     "names)")

    def _decode(self, response: httpx.Response, path: str) -> Any:
        try:
            return json.loads(response.content, parse_float=Decimal)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConnectorError(
                f"{self.source} sent a response on {path} that is not valid JSON (it may be "
                f"truncated: {getattr(exc, 'msg', exc)})",
                hint="retry the sync; if it persists, the service or a proxy is cutting "
                     "responses") from None

    def _scrub(self, text: str) -> str:
        return text.replace(self._token.reveal(), "***")

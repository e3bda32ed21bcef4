"""API tokens: from an environment variable or a secrets file kept outside the repository.

A token is wrapped in `Secret`, whose repr and str never show it; only the HTTP client calls
`reveal()`. `origin` says where it came from (an env var name or a file and key), so error
messages can tell the analyst which token to renew without printing it.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from reconkit.errors import ConfigError, ConnectorError

DEFAULT_ENV: Final = {"salesforce": "SALESFORCE_TOKEN", "hubspot": "HUBSPOT_TOKEN",
                      "stripe": "STRIPE_API_KEY"}
SECRETS_ENV: Final = "RECONKIT_SECRETS"


@dataclass(frozen=True)
class Secret:
    """A token that does not print itself."""

    _value: str = field(repr=False)
    origin: str

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret(origin={self.origin!r}, value='***')"

    __str__ = __repr__


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def _read_secrets_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else yaml.safe_load(text)
    except (OSError, tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the secrets file ({type(exc).__name__})",
                          source_file=str(path),
                          hint="use TOML ([stripe] token = \"...\") or YAML (stripe: {token: "
                               "...})") from None
    return data if isinstance(data, dict) else {}


def _check_outside_repo(path: Path, repo_root: Path) -> None:
    if path.resolve().is_relative_to(repo_root.resolve()):
        raise ConfigError(
            "the secrets file is inside the repository, where it could be committed",
            source_file=str(path),
            hint="move it outside the project, e.g. ~/.config/reconkit/secrets.toml, and point "
                 f"{SECRETS_ENV} at it")


def resolve_token(source: str, *, env_var: str | None = None,
                  secrets_file: Path | None = None, repo_root: Path | None = None) -> Secret:
    """Find the token of `source` ("salesforce", "hubspot", "stripe").

    Order: the environment variable (`env_var`, default e.g. SALESFORCE_TOKEN), then the
    secrets file (`secrets_file`, else $RECONKIT_SECRETS) under `[source] token` or the env var
    name as a top-level key. The file must live outside the repository.
    """
    env_var = env_var or DEFAULT_ENV[source]
    if value := os.environ.get(env_var, "").strip():
        return Secret(value, env_var)
    file = secrets_file or (Path(p) if (p := os.environ.get(SECRETS_ENV)) else None)
    if file is not None:
        file = Path(file).expanduser()
        _check_outside_repo(file, repo_root or _repo_root())
        data = _read_secrets_file(file)
        section = data.get(source)
        token = section.get("token") if isinstance(section, dict) else None
        key = f"[{source}] token"
        if not token:
            token, key = data.get(env_var), env_var
        if isinstance(token, str) and token.strip():
            return Secret(token.strip(), f"secrets file {file} ({key})")
    raise ConnectorError(
        f"no {source.capitalize()} token found",
        hint=f"set the environment variable {env_var}, or add it to a secrets file outside the "
             f"repository named by {SECRETS_ENV}")

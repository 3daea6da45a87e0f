"""Model IDs in one place: lessons ask for an alias, ``data/models_config.json`` says what it is.

Model IDs get retired, providers change their URLs, prices move. So no lesson
names a model: it asks for a role, and one file maps each alias to a provider
(where the model is served, how, and which environment variable holds the key),
a model ID and its prices::

    >>> from orchestration_kit import config
    >>> writer = config.model("writer")       # OpenAICompatible('smollm2', base_url='http://127.0.0.1:8080/v1', ...)
    >>> config.pricing("cloud-small")         # Pricing(input_per_1k=0.00015, output_per_1k=0.0006)
    >>> config.table()                        # every alias, as a DataFrame

Environment variables override the file, so a change needs no edit at all:

- ``ORCHESTRATION_KIT_MODEL_<ALIAS>``: another alias (``cloud-small``: the writer
  becomes that model, with its provider and prices) or a new model ID for the
  same provider (after a model is retired);
- ``ORCHESTRATION_KIT_BASE_URL_<PROVIDER>``: where that provider listens;
- ``ORCHESTRATION_KIT_MODELS_CONFIG``: another file of the same shape.

``<ALIAS>`` and ``<PROVIDER>`` are written in capitals with ``_`` for ``-``:
``ORCHESTRATION_KIT_MODEL_CLOUD_SMALL``. Keys never go in the file.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import ConfigurationError
from .base import Pricing
from ..paths import DATA_DIR

if TYPE_CHECKING:
    import pandas as pd

CONFIG_FILE = DATA_DIR / "models_config.json"
FILE_ENV = "ORCHESTRATION_KIT_MODELS_CONFIG"
MODEL_ENV = "ORCHESTRATION_KIT_MODEL_"
BASE_URL_ENV = "ORCHESTRATION_KIT_BASE_URL_"
KINDS = ("openai", "anthropic", "simulated")  # OpenAICompatible, AnthropicMessages, SimulatedModel


@dataclass(frozen=True)
class Provider:
    """Where and how models are served: ``kind`` is the wire format, ``api_key_env`` the key's variable."""

    name: str
    kind: str
    base_url: str = ""
    api_key_env: str = ""
    description: str = ""


@dataclass(frozen=True)
class ModelEntry:
    """One alias: which model of which provider, at what price."""

    alias: str
    provider: Provider
    id: str
    pricing: Pricing
    description: str = ""


class ModelsConfig:
    """The models of one configuration file, with the environment's overrides applied."""

    def __init__(self, entries: dict[str, ModelEntry], source: str) -> None:
        self.entries, self.source = entries, source

    def entry(self, alias: str) -> ModelEntry:
        if alias not in self.entries:
            raise ConfigurationError(f"no model alias {alias!r} in {self.source}; "
                                     f"known aliases: {', '.join(self.entries)}")
        return self.entries[alias]

    def model(self, alias: str, **settings: Any) -> Any:
        """A backend for ``alias``: real (over HTTP) or simulated. ``settings`` go to its constructor.

        >>> config.load().model("writer", timeout=5.0)
        """
        entry = self.entry(alias)
        kind = entry.provider.kind
        if kind == "simulated":
            from .simulated import SimulatedModel

            return SimulatedModel(entry.id, **settings)
        if kind == "anthropic":
            from .anthropic_messages import AnthropicMessages as backend
        else:
            from .openai_compatible import OpenAICompatible as backend  # type: ignore[assignment]
        settings = {"base_url": entry.provider.base_url, "api_key_env": entry.provider.api_key_env,
                    "pricing": entry.pricing, **settings}
        return backend(entry.id, **settings)

    def table(self) -> pd.DataFrame:
        """Every alias: provider, kind, model ID, base URL, key variable and prices."""
        import pandas as pd

        rows = [{"alias": e.alias, "provider": e.provider.name, "kind": e.provider.kind, "model id": e.id,
                 "base_url": e.provider.base_url, "key from": e.provider.api_key_env and f"${e.provider.api_key_env}",
                 "$ per 1k in": e.pricing.input_per_1k, "$ per 1k out": e.pricing.output_per_1k}
                for e in self.entries.values()]
        return pd.DataFrame(rows).set_index("alias")

    def __repr__(self) -> str:
        return f"ModelsConfig({Path(self.source).name!r}, aliases={list(self.entries)})"


def load(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> ModelsConfig:
    """Read the configuration file and apply the environment's overrides (read afresh at each call)."""
    environ = os.environ if environ is None else environ
    source = Path(path or environ.get(FILE_ENV) or CONFIG_FILE)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"no model configuration at {source}; unset ${FILE_ENV} "
                                 "or point it to a file shaped like data/models_config.json") from None
    except ValueError as error:
        raise ConfigurationError(f"{source} is not valid JSON ({error}); fix the file") from None
    where = source.name
    providers = {name: _provider(name, fields, environ, where) for name, fields in _section(data, "providers", where)}
    entries = {alias: _entry(alias, fields, providers, where) for alias, fields in _section(data, "models", where)}
    return ModelsConfig({alias: _override(entry, entries, environ) for alias, entry in entries.items()}, str(source))


def model(alias: str, **settings: Any) -> Any:
    """A backend for ``alias`` from the current configuration: ``config.model("writer")``."""
    return load().model(alias, **settings)


def entry(alias: str) -> ModelEntry:
    """What ``alias`` stands for: provider, model ID, prices."""
    return load().entry(alias)


def pricing(alias: str) -> Pricing:
    """The prices of ``alias`` (US dollars per 1,000 tokens in and out)."""
    return load().entry(alias).pricing


def table() -> pd.DataFrame:
    """Every configured alias as a DataFrame."""
    return load().table()


def env_name(prefix: str, name: str) -> str:
    """``env_name(MODEL_ENV, "cloud-small")`` -> ``"ORCHESTRATION_KIT_MODEL_CLOUD_SMALL"``."""
    return prefix + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


# -- reading the file, with errors that name the file and the field -------------------------


def _section(data: Any, name: str, where: str) -> list[tuple[str, dict[str, Any]]]:
    section = data.get(name) if isinstance(data, dict) else None
    if not isinstance(section, dict) or not section:
        raise ConfigurationError(f"{where}: needs a non-empty {name!r} object")
    for key, fields in section.items():
        if not isinstance(fields, dict):
            raise ConfigurationError(f"{where}: {name}.{key} must be an object of fields")
    return list(section.items())


def _provider(name: str, fields: dict[str, Any], environ: Mapping[str, str], where: str) -> Provider:
    kind = fields.get("kind")
    if kind not in KINDS:
        raise ConfigurationError(f"{where}: providers.{name}.kind must be one of {KINDS}, got {kind!r}")
    base_url = environ.get(env_name(BASE_URL_ENV, name)) or fields.get("base_url", "")
    if kind != "simulated" and not str(base_url).startswith(("http://", "https://")):
        raise ConfigurationError(f"{where}: providers.{name}.base_url must start with http:// or https://")
    return Provider(name, kind, base_url, fields.get("api_key_env", ""), fields.get("description", ""))


def _entry(alias: str, fields: dict[str, Any], providers: dict[str, Provider], where: str) -> ModelEntry:
    if fields.get("provider") not in providers:
        raise ConfigurationError(f"{where}: models.{alias}.provider must be one of {list(providers)}, "
                                 f"got {fields.get('provider')!r}")
    if not isinstance(fields.get("id"), str) or not fields["id"]:
        raise ConfigurationError(f"{where}: models.{alias}.id must be the model's ID, e.g. \"gpt-4o-mini\"")
    try:
        prices = Pricing(float(fields.get("price_in_per_1k", 0.0)), float(fields.get("price_out_per_1k", 0.0)))
    except (TypeError, ValueError):
        raise ConfigurationError(f"{where}: models.{alias} prices must be numbers (US dollars per 1k tokens)") from None
    return ModelEntry(alias, providers[fields["provider"]], fields["id"], prices, fields.get("description", ""))


def _override(entry: ModelEntry, entries: dict[str, ModelEntry], environ: Mapping[str, str]) -> ModelEntry:
    """Apply ``ORCHESTRATION_KIT_MODEL_<ALIAS>``: another alias's model, or a new ID for this provider."""
    value = environ.get(env_name(MODEL_ENV, entry.alias), "").strip()
    if not value:
        return entry
    if value in entries:
        chosen = entries[value]
        return ModelEntry(entry.alias, chosen.provider, chosen.id, chosen.pricing, chosen.description)
    return ModelEntry(entry.alias, entry.provider, value, entry.pricing, entry.description)

"""Model IDs in one place: every alias builds its backend from data/models_config.json; no lesson names a model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from orchestration_kit import ConfigurationError, SimulatedModel, config
from orchestration_kit.models import Pricing, load_profiles
from orchestration_kit.models.anthropic_messages import AnthropicMessages
from orchestration_kit.models.openai_compatible import OpenAICompatible

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("solutions/*.ipynb")) + sorted(
    ROOT.glob("exercises/*.ipynb"))
NO_ENV: dict[str, str] = {}


def write_config(tmp_path: Path, **changes) -> Path:
    data = json.loads(config.CONFIG_FILE.read_text())
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = data
        for key in parents:
            target = target[key]
        target[last] = value
    path = tmp_path / "models_config.json"
    path.write_text(json.dumps(data))
    return path


def test_every_alias_builds_a_backend_of_its_kind_with_its_prices():
    models = config.load(environ=NO_ENV)
    kinds = {"openai": OpenAICompatible, "anthropic": AnthropicMessages, "simulated": SimulatedModel}
    for alias, entry in models.entries.items():
        backend = models.model(alias)
        assert isinstance(backend, kinds[entry.provider.kind]), alias
        if entry.provider.kind != "simulated":
            assert (backend.model, backend.base_url, backend.pricing) == (entry.id, entry.provider.base_url, entry.pricing)
            assert backend.api_key_env == entry.provider.api_key_env


def test_the_lessons_aliases_are_configured():
    models = config.load(environ=NO_ENV)
    writer = models.model("writer")
    assert isinstance(writer, OpenAICompatible) and writer.base_url.startswith("http://127.0.0.1")
    assert models.entry("cloud-small").pricing == Pricing(0.00015, 0.0006)
    assert models.entry("cloud-claude").provider.api_key_env == "ANTHROPIC_API_KEY"
    assert isinstance(models.model("sim-small"), SimulatedModel)


def test_settings_reach_the_backend():
    backend = config.load(environ=NO_ENV).model("writer", timeout=5.0, name="local writer")
    assert backend.timeout == 5.0 and backend.name == "local writer"


def test_a_retired_model_is_replaced_by_one_environment_variable():
    models = config.load(environ={"ORCHESTRATION_KIT_MODEL_CLOUD_SMALL": "gpt-5-mini"})
    entry = models.entry("cloud-small")
    assert entry.id == "gpt-5-mini" and entry.provider.name == "openai"
    assert models.model("cloud-small").model == "gpt-5-mini"


def test_an_alias_can_be_pointed_at_another_configured_model():
    models = config.load(environ={"ORCHESTRATION_KIT_MODEL_WRITER": "cloud-claude"})
    writer = models.model("writer")
    assert isinstance(writer, AnthropicMessages) and writer.model == models.entry("cloud-claude").id
    assert writer.pricing == models.entry("cloud-claude").pricing and writer.api_key_env == "ANTHROPIC_API_KEY"


def test_a_provider_can_be_moved_by_one_environment_variable():
    models = config.load(environ={"ORCHESTRATION_KIT_BASE_URL_LOCAL_LLM": "http://127.0.0.1:9999/v1"})
    assert models.model("writer").base_url == "http://127.0.0.1:9999/v1"


def test_another_configuration_file_can_replace_the_shipped_one(tmp_path):
    path = write_config(tmp_path, models__writer__id="smollm2-360m")
    assert config.load(environ={config.FILE_ENV: str(path)}).entry("writer").id == "smollm2-360m"


def test_environment_names_are_capitals_with_underscores():
    assert config.env_name(config.MODEL_ENV, "cloud-small") == "ORCHESTRATION_KIT_MODEL_CLOUD_SMALL"


def test_an_unknown_alias_lists_the_known_ones():
    with pytest.raises(ConfigurationError, match=r"no model alias 'wirter' .*known aliases: writer, "):
        config.load(environ=NO_ENV).model("wirter")


@pytest.mark.parametrize("changes, fragment", [
    ({"models__writer__provider": "nowhere"}, r"models_config.json: models.writer.provider must be one of"),
    ({"models__writer__id": ""}, r"models.writer.id must be the model's ID"),
    ({"models__writer__price_in_per_1k": "cheap"}, r"models.writer prices must be numbers"),
    ({"providers__openai__kind": "grpc"}, r"providers.openai.kind must be one of"),
    ({"providers__openai__base_url": "api.openai.com"}, r"providers.openai.base_url must start with http"),
    ({"models": {}}, r"needs a non-empty 'models' object"),
])
def test_a_bad_configuration_names_the_file_and_the_field(tmp_path, changes, fragment):
    with pytest.raises(ConfigurationError, match=fragment):
        config.load(write_config(tmp_path, **changes), environ=NO_ENV)


def test_a_missing_or_broken_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigurationError, match="no model configuration at"):
        config.load(tmp_path / "absent.json", environ=NO_ENV)
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ConfigurationError, match="broken.json is not valid JSON"):
        config.load(tmp_path / "broken.json", environ=NO_ENV)


def test_the_file_holds_no_key_only_the_names_of_variables():
    text = config.CONFIG_FILE.read_text()
    assert not re.search(r"sk-[A-Za-z0-9_-]{8,}|\"api_key\"", text)
    providers = json.loads(text)["providers"]
    assert {name: fields.get("api_key_env", "") for name, fields in providers.items() if fields["kind"] != "simulated"} == {
        "local-llm": "", "kit-server": "", "openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


def test_the_table_shows_every_alias_and_no_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-planted-0123456789abcdef")
    frame = config.table()
    assert list(frame.index) == list(config.load().entries)
    assert frame.loc["cloud-small", "key from"] == "$OPENAI_API_KEY"
    assert "sk-planted" not in frame.to_string() and "sk-planted" not in repr(config.model("cloud-small"))


# -- no lesson hard-codes a model ID or a base URL ----------------------------------------------------


def forbidden() -> list[str]:
    """Every real model ID and base URL in the shipped configuration (simulated models' names are fine)."""
    models = config.load(environ=NO_ENV)
    real = [entry for entry in models.entries.values() if entry.provider.kind != "simulated"]
    ids = {entry.id for entry in real if entry.id not in load_profiles()}  # the kit's server serves simulated names
    return sorted(ids | {entry.provider.base_url for entry in real})


# Model IDs of the big providers, configured or not: a lesson must go through config.model(alias).
VENDOR_IDS = re.compile(r"""["'](gpt-[0-9o][\w.-]*|o[134](-mini)?|claude-[\w.-]+|gemini-[\w.-]+|llama-?[0-9][\w.:-]*"""
                        r"""|mistral-[\w.-]+|smollm[\w.-]*)["']""", re.IGNORECASE)
URL_LITERAL = re.compile(r"""["']https?://[^"']+["']""")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_notebook_hard_codes_a_model_id_or_a_base_url(path):
    sources = [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
    found = []
    for source in sources:
        found += [value for value in forbidden() if f'"{value}"' in source or f"'{value}'" in source]
        found += [match.group(0).strip("'\"") for pattern in (VENDOR_IDS, URL_LITERAL) for match in pattern.finditer(source)]
    assert not found, (f"{path.name} names {sorted(set(found))} in its code; ask for an alias instead: "
                       "config.model('writer'), with the model's ID and URL in data/models_config.json")


def test_the_guard_catches_a_hard_coded_model_id():
    hard_coded = 'OpenAICompatible("gpt-4o-mini", base_url="https://api.openai.com/v1")'
    assert VENDOR_IDS.search(hard_coded) and URL_LITERAL.search(hard_coded)
    assert not VENDOR_IDS.search('SimulatedModel("generalist-small")')


# Model IDs the providers have retired or announced for retirement: a configured alias must not use one.
RETIRED_IDS = re.compile(r"^(claude-(2|instant|3-(opus|sonnet|haiku)|3-5-(sonnet|haiku)|3-7-sonnet)[\w.-]*"
                         r"|gpt-3\.5-turbo-(0301|0613|16k-0613)|gpt-4-(0314|32k[\w-]*))$")


def test_no_alias_uses_a_retired_model_id():
    ids = {alias: entry.id for alias, entry in config.load(environ=NO_ENV).entries.items()}
    assert [alias for alias, model_id in ids.items() if RETIRED_IDS.match(model_id)] == []
    assert ids["cloud-claude"] == "claude-haiku-4-5"
    assert RETIRED_IDS.match("claude-3-5-haiku-latest")  # the ID this file used before

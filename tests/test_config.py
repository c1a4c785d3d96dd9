from pathlib import Path

import pytest

from growthos.config import ChannelRule, load_settings, write_workspace_file
from growthos.core.errors import ConfigError


def test_environment_overrides_the_workspace_file(tmp_path: Path, monkeypatch):
    write_workspace_file(tmp_path, {"timezone": "Europe/Paris", "currency": "eur", "demo": True})
    settings = load_settings(data_dir=tmp_path)
    assert (settings.timezone, settings.currency, settings.demo) == ("Europe/Paris", "EUR", True)
    monkeypatch.setenv("GROWTHOS_TIMEZONE", "Asia/Tokyo")
    assert load_settings(data_dir=tmp_path).timezone == "Asia/Tokyo"


def test_defaults_keep_everything_in_the_data_directory(tmp_path: Path):
    settings = load_settings(data_dir=tmp_path)
    assert settings.warehouse_path == tmp_path / "warehouse.duckdb"
    assert settings.resolved_app_db_url == f"sqlite:///{(tmp_path / 'app.db').resolve()}"


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("timezone", "Mars/Olympus", "unknown time zone"),
    ("currency", "DOLLARS", "three-letter"),
])
def test_invalid_settings_name_the_field(tmp_path: Path, field, value, reason):
    with pytest.raises(ConfigError, match=reason) as info:
        load_settings(data_dir=tmp_path, **{field: value})
    assert info.value.field == field


def test_a_broken_workspace_file_is_reported_with_its_path(tmp_path: Path):
    (tmp_path / "growthos.toml").write_text("timezone = ")
    with pytest.raises(ConfigError, match="growthos.toml"):
        load_settings(data_dir=tmp_path)


def test_channel_rules_need_a_pattern_and_valid_regexes():
    with pytest.raises(ValueError, match="needs click_id"):
        ChannelRule(channel="x")
    with pytest.raises(ValueError, match="not a valid regex"):
        ChannelRule(channel="x", source="(")


def test_tables_of_lists_round_trip_through_the_workspace_file(tmp_path: Path):
    features = {"Meal planning": ["Meal Plan Created"], 'Odd "name"': ["A \\ b", "C"]}
    write_workspace_file(tmp_path, {"product_features": features})
    assert load_settings(data_dir=tmp_path).product_features == features

"""The connectors' settings table: parsed by core's loader, one message limit, client names of their
own (old ones still read with a warning), and the documentation tables generated from it."""

from __future__ import annotations

import dataclasses
import logging
import re

import pytest

from connectors.settings import (
    CONNECTOR_SETTINGS_TABLE,
    DEPRECATED_NAMES,
    EndpointSettings,
    WebhookConfig,
    env_name,
    settings_markdown_table,
)
from core.errors import ConfigError
from core.settings import SETTINGS_TABLE, Settings
from tests.conftest import ROOT, clean_env


def test_endpoint_settings_defaults_and_parsing():
    endpoint = EndpointSettings.from_env({})
    assert (endpoint.host, endpoint.port, endpoint.share) == ("127.0.0.1", 7860, False)
    assert (endpoint.users, endpoint.tokens, endpoint.workspaces) == ((), (), ())
    assert (endpoint.rate_limit_per_minute, endpoint.max_message_chars, endpoint.concurrency) == (20, 2000, 4)
    assert endpoint.is_loopback and not endpoint.has_auth
    endpoint = EndpointSettings.from_env({"AW_ENDPOINT_HOST": " 0.0.0.0 ", "AW_ENDPOINT_TOKENS": "t-1, t-2,",
                                          "AW_ENDPOINT_USERS": "ana:pw-1", "AW_ENDPOINT_WORKSPACES": "a, b"},
                                         AW_ENDPOINT_PORT="9000")
    assert endpoint.host == "0.0.0.0" and not endpoint.is_loopback and endpoint.port == 9000
    assert endpoint.tokens == ("t-1", "t-2") and endpoint.users == (("ana", "pw-1"),)
    assert endpoint.workspaces == ("a", "b") and endpoint.has_auth
    assert "t-1" not in repr(endpoint) and "pw-1" not in repr(endpoint)


@pytest.mark.parametrize("env, fragment", [
    ({"AW_ENDPOINT_PORT": "0"}, "AW_ENDPOINT_PORT"),
    ({"AW_ENDPOINT_SHARE": "maybe"}, "AW_ENDPOINT_SHARE"),
    ({"AW_ENDPOINT_MAX_CHARS": "many"}, "AW_ENDPOINT_MAX_CHARS"),
])
def test_invalid_endpoint_settings_name_the_variable(env, fragment):
    with pytest.raises(ConfigError, match=fragment):
        EndpointSettings.from_env(env)


def test_malformed_users_name_the_setting_and_never_echo_the_secret():
    with pytest.raises(ConfigError, match="AW_ENDPOINT_USERS") as caught:
        EndpointSettings.from_env({"AW_ENDPOINT_USERS": "ana-without-password-s3cret"})
    assert "s3cret" not in str(caught.value)


def test_core_settings_no_longer_carry_the_endpoint():
    assert not hasattr(Settings.from_env(clean_env()), "endpoint")
    assert not {spec.env for spec in SETTINGS_TABLE} & {spec.env for spec in CONNECTOR_SETTINGS_TABLE}


def test_webhook_config_defaults_are_the_tables():
    assert WebhookConfig.from_env({}) == WebhookConfig()
    for field in dataclasses.fields(WebhookConfig):
        assert env_name(field.name).startswith("AW_"), field.name


def test_one_message_limit_for_the_endpoint_and_the_bridges():
    assert EndpointSettings.from_env({}).max_message_chars == WebhookConfig.from_env({}).max_message_chars == 2000
    env = {"AW_ENDPOINT_MAX_CHARS": "50"}
    assert EndpointSettings.from_env(env).max_message_chars == WebhookConfig.from_env(env).max_message_chars == 50
    assert env_name("max_message_chars") == "AW_ENDPOINT_MAX_CHARS"
    assert [spec.env for spec in CONNECTOR_SETTINGS_TABLE if "MAX_MESSAGE" in spec.env or spec.env.endswith("_MAX_CHARS")] == [
        "AW_ENDPOINT_MAX_CHARS", "AW_VOICE_MAX_CHARS"]  # the voice one caps the spoken answer, not the message


def test_client_names_have_their_own_prefix():
    client = {spec.env for spec in CONNECTOR_SETTINGS_TABLE if spec.section == "client"}
    assert client == {spec.env for spec in CONNECTOR_SETTINGS_TABLE if spec.env.startswith("AW_CLIENT_")}
    assert client == {"AW_CLIENT_ENDPOINT_URL", "AW_CLIENT_ENDPOINT_API_NAME", "AW_CLIENT_ENDPOINT_TOKEN",
                      "AW_CLIENT_ENDPOINT_USER", "AW_CLIENT_ENDPOINT_PASSWORD", "AW_CLIENT_ENDPOINT_TIMEOUT"}
    config = WebhookConfig.from_env({"AW_CLIENT_ENDPOINT_URL": "http://gpu:7860/", "AW_CLIENT_ENDPOINT_TOKEN": "tok-1",
                                     "AW_CLIENT_ENDPOINT_USER": "bridge", "AW_CLIENT_ENDPOINT_PASSWORD": "pw-2",
                                     "AW_CLIENT_ENDPOINT_TIMEOUT": "30", "AW_CLIENT_ENDPOINT_API_NAME": "/ask"})
    assert (config.endpoint_url, config.endpoint_token, config.endpoint_user, config.endpoint_password,
            config.endpoint_timeout, config.endpoint_api_name) == ("http://gpu:7860/", "tok-1", "bridge", "pw-2", 30.0, "/ask")
    # The server's tokens are not the client's token.
    assert WebhookConfig.from_env({"AW_ENDPOINT_TOKENS": "server-side"}).endpoint_token == ""


def test_old_client_names_still_work_with_a_warning_that_never_shows_the_value(caplog):
    old = {"AW_ENDPOINT_URL": "http://old:7860/", "AW_ENDPOINT_TOKEN": "old-s3cret-token",
           "AW_ENDPOINT_PASSWORD": "old-s3cret-pw", "AW_ENDPOINT_TIMEOUT": "45", "AW_WEBHOOK_MAX_MESSAGE_CHARS": "300"}
    with caplog.at_level(logging.WARNING, logger="connectors.settings"):
        config = WebhookConfig.from_env(old)
    assert (config.endpoint_url, config.endpoint_token, config.endpoint_password) == ("http://old:7860/", "old-s3cret-token",
                                                                                      "old-s3cret-pw")
    assert config.endpoint_timeout == 45.0 and config.max_message_chars == 300
    for name in old:
        assert f"{name} is deprecated" in caplog.text and DEPRECATED_NAMES[name] in caplog.text
    assert "s3cret" not in caplog.text and "http://old" not in caplog.text


def test_the_new_name_wins_over_the_old_one(caplog):
    with caplog.at_level(logging.WARNING, logger="connectors.settings"):
        config = WebhookConfig.from_env({"AW_ENDPOINT_TOKEN": "old-s3cret", "AW_CLIENT_ENDPOINT_TOKEN": "new-s3cret"})
    assert config.endpoint_token == "new-s3cret"
    assert "AW_ENDPOINT_TOKEN is deprecated and ignored" in caplog.text and "s3cret" not in caplog.text


def test_no_warning_without_old_names(caplog):
    with caplog.at_level(logging.WARNING, logger="connectors.settings"):
        WebhookConfig.from_env({"AW_CLIENT_ENDPOINT_TOKEN": "t"})
    assert caplog.text == ""


def test_webhook_values_are_checked_and_secrets_stay_out_of_repr():
    with pytest.raises(ConfigError, match="AW_WEBHOOK_PORT"):
        WebhookConfig.from_env({"AW_WEBHOOK_PORT": "eighty"})
    with pytest.raises(ConfigError, match="AW_CLIENT_ENDPOINT_TIMEOUT"):
        WebhookConfig.from_env({"AW_CLIENT_ENDPOINT_TIMEOUT": "0"})
    with pytest.raises(ConfigError, match="AW_ENDPOINT_MAX_CHARS"):
        WebhookConfig(max_message_chars=0)
    assert WebhookConfig.from_env({"AW_WEBHOOK_PORT": " ", "AW_ENDPOINT_MAX_CHARS": ""}).port == 8088  # blank: default
    secrets = {spec.env: f"s3cret-{n}" for n, spec in enumerate(CONNECTOR_SETTINGS_TABLE)
               if spec.secret and spec.section != "endpoint" and spec.env != "AW_TELEGRAM_SECRET_TOKEN"}
    assert "s3cret" not in repr(WebhookConfig.from_env(secrets))


def _configuration_section(text: str) -> str:
    section = text[text.index("## Configuration"):]
    return section[: section.index("\n## ", 5)]


def test_readme_and_configuration_page_carry_the_generated_connector_table():
    table = settings_markdown_table()
    readme = _configuration_section((ROOT / "README.md").read_text(encoding="utf-8"))
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    hint = "regenerate the table with connectors.settings.settings_markdown_table()"
    assert table in readme, hint
    assert table in page, hint


def test_the_readme_lists_exactly_the_settings_the_code_has():
    readme = _configuration_section((ROOT / "README.md").read_text(encoding="utf-8"))
    rows = re.findall(r"^\| `(AW_[A-Z0-9_]+)` \|", readme, re.M)
    known = [spec.env for spec in SETTINGS_TABLE + CONNECTOR_SETTINGS_TABLE]
    assert sorted(rows) == sorted(known)

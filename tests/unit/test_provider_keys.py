"""The provider keys (speakpho.providers.keys): what a secret's string holds, and SecretKeys
reading Secrets Manager (moto, inside the `dynamodb` fixture's mock_aws) through Powertools
Parameters, with its cache."""
from __future__ import annotations

import logging

import pytest

from speakpho.config import Settings
from speakpho.providers.keys import SecretKeys, clear_cache, parse_secret

GEMINI_SECRET = "speakpho/test/gemini"
OPENAI_SECRET = "speakpho/test/openai"


@pytest.mark.parametrize("raw, key", [
    (None, None),
    ("", None),
    ("   \n", None),
    ('{"apiKey": "AIza-123"}', "AIza-123"),
    ('{"apiKey": "  sk-abc \\n"}', "sk-abc"),          # whitespace around the key is not the key
    ('{"apiKey": ""}', None),                          # what the stack creates: no key yet
    ('{"apiKey": "   "}', None),
    ('{"apiKey": 42}', None),                          # not a string
    ('{"apiKey": null}', None),
    ('{"other": "sk-abc"}', None),                     # no apiKey field
    ('{"apiKey": ', None),                             # broken JSON is no key (and no exception)
    ("sk-bare-key", "sk-bare-key"),                    # the bare key
    ("  sk-bare-key\n", "sk-bare-key"),
])
def test_parse_secret(raw, key):
    assert parse_secret(raw) == key


@pytest.fixture
def secrets(dynamodb):
    """A Secrets Manager client on moto; Powertools' cache is cleared before and after."""
    import botocore.session

    clear_cache()
    yield botocore.session.get_session().create_client("secretsmanager", region_name="us-east-1")
    clear_cache()


def _keys(**overrides) -> SecretKeys:
    return SecretKeys(Settings(**{"gemini_secret_name": GEMINI_SECRET, "openai_secret_name": OPENAI_SECRET,
                                  **overrides}))


def test_keys_come_from_each_providers_secret(secrets):
    secrets.create_secret(Name=GEMINI_SECRET, SecretString='{"apiKey": "gemini-from-secret"}')
    secrets.create_secret(Name=OPENAI_SECRET, SecretString="openai-bare")
    keys = _keys()
    assert (keys.key("gemini"), keys.key("openai")) == ("gemini-from-secret", "openai-bare")


@pytest.mark.parametrize("setup, settings", [
    ("empty", {}),                           # the secret the stack creates holds {"apiKey": ""}
    ("missing", {}),                         # no such secret: unreadable
    ("set", {"gemini_secret_name": None}),   # no secret named for the provider
])
def test_a_provider_without_a_key_is_unavailable(secrets, setup, settings):
    if setup == "empty":
        secrets.create_secret(Name=GEMINI_SECRET, SecretString='{"apiKey": ""}')
    elif setup == "set":
        secrets.create_secret(Name=GEMINI_SECRET, SecretString='{"apiKey": "gemini-from-secret"}')
    assert _keys(**settings).key("gemini") is None
    assert _keys().key("anthropic") is None    # an unknown provider names no secret


def test_an_unreadable_secret_logs_the_provider_and_the_error_class_only(secrets, caplog):
    caplog.set_level(logging.WARNING, logger="speakpho.providers.keys")
    assert _keys().key("openai") is None
    [record] = [r for r in caplog.records if r.name == "speakpho.providers.keys"]
    # Powertools wraps the client's ResourceNotFoundException; its message is not logged
    assert record.provider == "openai" and record.error == "GetParameterError"
    assert record.getMessage() == "provider key unreadable"


def test_a_key_is_cached_until_the_cache_is_cleared(secrets):
    secrets.create_secret(Name=GEMINI_SECRET, SecretString='{"apiKey": "first"}')
    keys = _keys()
    assert keys.key("gemini") == "first"
    secrets.put_secret_value(SecretId=GEMINI_SECRET, SecretString='{"apiKey": "rotated"}')
    assert keys.key("gemini") == "first"       # within SECRET_MAX_AGE_SECONDS: the cached value
    clear_cache()                              # a SnapStart restore (or the age running out)
    assert keys.key("gemini") == "rotated"


def test_a_key_set_later_makes_the_provider_available(secrets):
    """The stack creates the secret empty; the operator puts the key. Without a cache age the
    next read sees it (the age is SECRET_MAX_AGE_SECONDS deployed)."""
    secrets.create_secret(Name=OPENAI_SECRET, SecretString='{"apiKey": ""}')
    keys = _keys(secret_max_age_seconds=0)
    assert keys.key("openai") is None
    secrets.put_secret_value(SecretId=OPENAI_SECRET, SecretString='{"apiKey": "sk-put-later"}')
    assert keys.key("openai") == "sk-put-later"

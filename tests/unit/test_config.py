"""Settings and the flag registry: names, defaults, accepted forms and refusals."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from reserve.api.problems import problem_of
from reserve.config import (
    FLAGS,
    PLACEHOLDER_SECRET,
    Environment,
    Settings,
    allocation_policy,
    effective_flags,
    environment_flag_problems,
    flag_defaults,
    load_settings,
    parse_flag_value,
    settings_problems,
)
from reserve.domain.allocator import Policy
from reserve.domain.errors import ConfigurationError, InvalidFlag
from reserve.domain.floor import AdjacencyMode, Rule

# DESIGN section 10, in its order, then the admission and pooling switches of section 4:
# flag, environment variable, default.
DOCUMENTED_FLAGS = [
    ("allocator.adjacency_mode", "FEATURE_ALLOCATOR_ADJACENCY_MODE", "connected"),
    ("allocator.max_tables", "FEATURE_ALLOCATOR_K_MAX", 3),
    ("allocator.require_adjacency", "FEATURE_ALLOCATOR_REQUIRE_ADJACENCY", True),
    ("allocator.adjacency_min_party_size", "FEATURE_ALLOCATOR_ADJACENCY_MIN_PARTY_SIZE", None),
    ("allocator.lookahead", "FEATURE_SELECTOR_LOOKAHEAD", True),
    ("allocator.selector_timeout_ms", "FEATURE_INLINE_AUTO_ASSIGN_TIMEOUT_MS", 200),
    ("allocator.fail_hard", "FEATURE_ALLOCATOR_SERVICE_FAIL_HARD", False),
    ("allocator.admission", "FEATURE_ALLOCATOR_ADMISSION", "limits"),
    ("allocator.pooling", "FEATURE_ALLOCATOR_POOLING", True),
    ("allocator.pooling_freeze_minutes", "FEATURE_ALLOCATOR_POOLING_FREEZE_MINUTES", 60),
    ("debug.capacity_profiling", "DEBUG_CAPACITY_PROFILING", False),
]
DEFAULTS = {name: default for name, _, default in DOCUMENTED_FLAGS}
BOOLEAN_FLAGS = [name for name, _, default in DOCUMENTED_FLAGS if isinstance(default, bool)]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The process environment without any reserve setting or flag."""
    for name in list(os.environ):
        if name.startswith(("RESERVE_", "FEATURE_", "DEBUG_CAPACITY")):
            monkeypatch.delenv(name)
    return monkeypatch


# --- the registry ------------------------------------------------------------------------


def test_there_are_exactly_the_documented_flags() -> None:
    assert list(FLAGS) == [name for name, _, _ in DOCUMENTED_FLAGS]


@pytest.mark.parametrize(("name", "env", "default"), DOCUMENTED_FLAGS)
def test_each_flag_has_its_documented_environment_name_and_default(
    name: str, env: str, default: object
) -> None:
    flag = FLAGS[name]

    assert flag.env == env
    assert flag.default == default
    assert type(flag.default) is type(default)
    assert flag.help


# --- parsing -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", BOOLEAN_FLAGS)
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("false", False),
        ("1", True),
        ("0", False),
        ("yes", True),
        ("no", False),
        ("TRUE", True),
        (" No ", False),
        (True, True),
        (False, False),
    ],
)
def test_a_boolean_flag_accepts_the_usual_spellings(name: str, raw: object, expected: bool) -> None:
    assert parse_flag_value(name, raw) is expected


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("allocator.max_tables", "1", 1),
        ("allocator.max_tables", "5", 5),
        ("allocator.max_tables", " 4 ", 4),
        ("allocator.max_tables", 2, 2),
        ("allocator.selector_timeout_ms", "200", 200),
        ("allocator.selector_timeout_ms", 1, 1),
        ("allocator.selector_timeout_ms", 60_000, 60_000),
        ("allocator.adjacency_min_party_size", "6", 6),
        ("allocator.adjacency_min_party_size", 6, 6),
        ("allocator.adjacency_min_party_size", "none", None),
        ("allocator.adjacency_min_party_size", "None", None),
        ("allocator.adjacency_min_party_size", None, None),
        ("allocator.adjacency_mode", "connected", "connected"),
        ("allocator.adjacency_mode", "pairwise", "pairwise"),
        ("allocator.adjacency_mode", "neighbors", "neighbors"),
        ("allocator.adjacency_mode", " Pairwise ", "pairwise"),
        ("allocator.admission", "none", "none"),
        ("allocator.admission", " Protection ", "protection"),
        ("allocator.admission", "limits", "limits"),
        ("allocator.pooling_freeze_minutes", "0", 0),
        ("allocator.pooling_freeze_minutes", 90, 90),
    ],
)
def test_numbers_and_modes_are_read_from_text_or_json(
    name: str, raw: object, expected: object
) -> None:
    value = parse_flag_value(name, raw)

    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("allocator.max_tables", "0"),
        ("allocator.max_tables", 0),
        ("allocator.max_tables", "6"),
        ("allocator.max_tables", 6),
        ("allocator.max_tables", "three"),
        ("allocator.max_tables", "3.5"),
        ("allocator.max_tables", 3.0),
        ("allocator.max_tables", True),
        ("allocator.max_tables", None),
        ("allocator.selector_timeout_ms", "0"),
        ("allocator.selector_timeout_ms", 0),
        ("allocator.selector_timeout_ms", -5),
        ("allocator.selector_timeout_ms", True),
        ("allocator.adjacency_min_party_size", "0"),
        ("allocator.adjacency_min_party_size", False),
        ("allocator.adjacency_mode", "diagonal"),
        ("allocator.adjacency_mode", ""),
        ("allocator.adjacency_mode", 1),
        ("allocator.admission", "bid-prices"),
        ("allocator.admission", ""),
        ("allocator.admission", True),
        ("allocator.pooling", "sometimes"),
        ("allocator.pooling_freeze_minutes", "-1"),
        ("allocator.pooling_freeze_minutes", 1441),
        ("allocator.require_adjacency", "maybe"),
        ("allocator.require_adjacency", 1),
        ("allocator.require_adjacency", None),
        ("allocator.lookahead", "maybe"),
        ("allocator.fail_hard", ""),
        ("debug.capacity_profiling", "enabled"),
    ],
)
def test_a_malformed_value_is_refused_naming_the_flag(name: str, raw: object) -> None:
    with pytest.raises(InvalidFlag) as refused:
        parse_flag_value(name, raw)

    assert name in str(refused.value)
    assert problem_of(refused.value) == ("validation-error", 422)


def test_an_unknown_flag_is_refused_with_the_list_of_known_ones() -> None:
    with pytest.raises(InvalidFlag) as refused:
        parse_flag_value("allocator.k_max", "3")

    message = str(refused.value)
    assert "allocator.k_max" in message
    for name in FLAGS:
        assert name in message


# --- defaults from the environment -------------------------------------------------------


def test_without_environment_every_flag_has_its_built_in_default() -> None:
    assert flag_defaults({}) == DEFAULTS
    assert environment_flag_problems({}) == []


def test_the_environment_sets_defaults_under_the_old_names() -> None:
    environ = {
        "FEATURE_ALLOCATOR_ADJACENCY_MODE": "pairwise",
        "FEATURE_ALLOCATOR_K_MAX": "5",
        "FEATURE_ALLOCATOR_REQUIRE_ADJACENCY": "no",
        "FEATURE_ALLOCATOR_ADJACENCY_MIN_PARTY_SIZE": "7",
        "FEATURE_SELECTOR_LOOKAHEAD": "0",
        "FEATURE_INLINE_AUTO_ASSIGN_TIMEOUT_MS": "750",
        "FEATURE_ALLOCATOR_SERVICE_FAIL_HARD": "yes",
        "FEATURE_ALLOCATOR_ADMISSION": "protection",
        "FEATURE_ALLOCATOR_POOLING": "off",
        "FEATURE_ALLOCATOR_POOLING_FREEZE_MINUTES": "30",
        "DEBUG_CAPACITY_PROFILING": "true",
        "RESERVE_UNRELATED": "ignored",
    }

    assert flag_defaults(environ) == {
        "allocator.adjacency_mode": "pairwise",
        "allocator.max_tables": 5,
        "allocator.require_adjacency": False,
        "allocator.adjacency_min_party_size": 7,
        "allocator.lookahead": False,
        "allocator.selector_timeout_ms": 750,
        "allocator.fail_hard": True,
        "allocator.admission": "protection",
        "allocator.pooling": False,
        "allocator.pooling_freeze_minutes": 30,
        "debug.capacity_profiling": True,
    }
    assert environment_flag_problems(environ) == []


def test_without_a_mapping_the_process_environment_is_read(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("FEATURE_ALLOCATOR_K_MAX", "2")

    assert flag_defaults()["allocator.max_tables"] == 2
    assert environment_flag_problems() == []


def test_each_malformed_variable_is_one_problem_line() -> None:
    environ = {
        "FEATURE_ALLOCATOR_K_MAX": "9",
        "FEATURE_SELECTOR_LOOKAHEAD": "maybe",
        "FEATURE_ALLOCATOR_ADJACENCY_MODE": "neighbors",  # well-formed: no line
    }

    problems = environment_flag_problems(environ)

    assert len(problems) == 2
    assert problems[0].startswith("FEATURE_ALLOCATOR_K_MAX=")
    assert "allocator.max_tables" in problems[0]
    assert problems[1].startswith("FEATURE_SELECTOR_LOOKAHEAD=")
    assert "allocator.lookahead" in problems[1]


def test_malformed_environment_defaults_are_refused_not_ignored() -> None:
    with pytest.raises(InvalidFlag) as refused:
        flag_defaults({"FEATURE_ALLOCATOR_ADJACENCY_MODE": "diagonal"})

    assert "FEATURE_ALLOCATOR_ADJACENCY_MODE" in str(refused.value)


# --- a venue's overrides -----------------------------------------------------------------


def test_overrides_apply_over_the_environment_defaults() -> None:
    flags = effective_flags(
        {"allocator.max_tables": "4", "allocator.lookahead": False},
        environ={"FEATURE_ALLOCATOR_K_MAX": "2", "FEATURE_ALLOCATOR_SERVICE_FAIL_HARD": "1"},
    )

    assert flags == DEFAULTS | {
        "allocator.max_tables": 4,
        "allocator.lookahead": False,
        "allocator.fail_hard": True,
    }


def test_no_overrides_means_the_defaults() -> None:
    assert effective_flags({}, environ={}) == DEFAULTS


def test_an_override_of_an_unknown_flag_is_refused() -> None:
    with pytest.raises(InvalidFlag, match=r"unknown flag 'allocator\.k_max'"):
        effective_flags({"allocator.k_max": 3}, environ={})


def test_a_malformed_override_is_refused() -> None:
    with pytest.raises(InvalidFlag, match=r"allocator\.max_tables"):
        effective_flags({"allocator.max_tables": 9}, environ={})


# --- settings ----------------------------------------------------------------------------


def test_the_environment_defaults_to_development(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings()

    assert settings.env is Environment.DEVELOPMENT
    assert settings.uses_embedded_server


@pytest.mark.parametrize("value", ["development", "test", "production"])
def test_reserve_env_takes_each_documented_value(clean_env: pytest.MonkeyPatch, value: str) -> None:
    clean_env.setenv("RESERVE_ENV", value)

    assert Settings().env == Environment(value)


def test_the_database_url_turns_off_the_embedded_server(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("RESERVE_DATABASE_URL", "postgresql://app@db.example/reserve")

    settings = Settings()

    assert settings.database_url == "postgresql://app@db.example/reserve"
    assert not settings.uses_embedded_server


@pytest.mark.parametrize("env", [Environment.DEVELOPMENT, Environment.TEST])
@pytest.mark.parametrize("secret", [PLACEHOLDER_SECRET, "short"])
def test_any_secret_will_do_outside_production(
    clean_env: pytest.MonkeyPatch, env: Environment, secret: str
) -> None:
    assert Settings(env=env, secret_key=secret).secret_problems() == []


def test_production_refuses_the_placeholder_secret(clean_env: pytest.MonkeyPatch) -> None:
    problems = Settings(env="production").secret_problems()

    assert len(problems) == 1
    assert "RESERVE_SECRET_KEY" in problems[0]
    assert "placeholder" in problems[0]


def test_production_refuses_a_short_secret(clean_env: pytest.MonkeyPatch) -> None:
    problems = Settings(env="production", secret_key="x" * 31).secret_problems()

    assert len(problems) == 1
    assert "RESERVE_SECRET_KEY" in problems[0]


def test_production_accepts_a_long_secret(clean_env: pytest.MonkeyPatch) -> None:
    assert Settings(env="production", secret_key="x" * 32).secret_problems() == []


def test_an_unknown_environment_is_named_as_its_variable(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("RESERVE_ENV", "staging")

    with pytest.raises(ValidationError) as invalid:
        Settings()

    problems = settings_problems(invalid.value)
    assert len(problems) == 1
    assert problems[0].startswith("RESERVE_ENV: ")


def test_load_settings_reports_every_invalid_setting(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("RESERVE_ENV", "staging")
    clean_env.setenv("RESERVE_LOG_LEVEL", "loud")

    with pytest.raises(ConfigurationError) as refused:
        load_settings()

    assert "RESERVE_ENV" in str(refused.value)
    assert "RESERVE_LOG_LEVEL" in str(refused.value)


def test_the_allocation_policy_follows_the_flags() -> None:
    assert allocation_policy(flag_defaults({})) == Policy()
    values = effective_flags(
        {
            "allocator.adjacency_mode": "pairwise",
            "allocator.max_tables": 4,
            "allocator.require_adjacency": False,
            "allocator.adjacency_min_party_size": 6,
            "allocator.lookahead": False,
            "allocator.selector_timeout_ms": 50,
            "allocator.fail_hard": True,
            "debug.capacity_profiling": True,
        },
        {},
    )
    assert allocation_policy(values) == Policy(
        rule=Rule(
            adjacency_mode=AdjacencyMode.PAIRWISE,
            max_tables=4,
            require_adjacency=False,
            adjacency_min_party_size=6,
        ),
        lookahead=False,
        selector_timeout_ms=50,
        fail_hard=True,
        capacity_profiling=True,
    )

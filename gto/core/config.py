"""Project configuration: the `.gto` file plus `GTO_*` environment variables.

Text and a mapping come in, a frozen `Config` comes out; reading the file and
the process environment is the caller's job, so this module stays pure.

Precedence is env > `.gto` > defaults, with keys case-insensitive in both
(behaviour reference, section 5). `emojis`, `log_level` and `debug` shape how
the process prints and logs before any repository is opened, so they are
taken from the environment only and their `.gto` values are validated but
ignored (quirk Q17; the reference lists `debug` as env-only too).

gto's own keys (upstream refuses them): `promotion` (gto.core.promotion_rules; GTO_PROMOTION
as JSON), and `sign`, `allowed_signers`/`revoked_signers` (paths inside the repository), which
only the file sets here: GTO_SIGN and GTO_ALLOWED_SIGNERS (any path) are gto.settings', and
win over the file where they are used (gto.api).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from gto.core.flags import parse_flag
from gto.core.promotion_rules import PromotionRules, parse_promotion
from gto.core.tags import check_name
from gto.core.yamlio import YamlError, load_yaml
from gto.exceptions import (
    UnknownStage,
    UnknownType,
    ValidationError,
    WrongConfig,
    WrongPromotionRules,
)

_ENV_PREFIX = "GTO_"
_ENV_ONLY = frozenset({"emojis", "log_level", "debug"})
_FILE_ONLY = frozenset({"sign", "allowed_signers", "revoked_signers"})
_LOG_LEVELS = frozenset(
    {"CRITICAL", "FATAL", "ERROR", "WARN", "WARNING", "INFO", "DEBUG", "NOTSET"}
)


@dataclass(frozen=True)
class EnrichmentConfig:
    """One `enrichments` entry; inert, since only the built-in `gto` source exists."""

    type: str
    config: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Config:
    """Settings for one repository; `None` for types/stages means "anything goes"."""

    types: tuple[str, ...] | None = None
    stages: tuple[str, ...] | None = None
    index: str = "artifacts.yaml"
    emojis: bool = True
    log_level: str = "INFO"
    debug: bool = False
    enrichments: tuple[EnrichmentConfig, ...] = ()
    autoload_enrichments: bool = True
    config_file_name: str = ".gto"
    promotion: PromotionRules = field(default_factory=PromotionRules, hash=False)
    sign: bool = False
    allowed_signers: str | None = None
    revoked_signers: str | None = None


class _BadValue(ValueError):
    """Why one value was refused; becomes WrongConfig or ValidationError by source."""


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise _BadValue(f"expected a non-empty string, got {value!r}")
    return value


def _index_file(value: object) -> str:
    """A path inside the repository: relative, without `..`, `.git` or empty parts.

    >>> _index_file("../secrets.yaml")
    Traceback (most recent call last):
    gto.core.config._BadValue: expected a relative path inside the repository, without '..' or \
'.git' parts, got '../secrets.yaml'
    """
    text = _text(value)
    parts = text.replace("\\", "/").split("/")
    if (
        text.startswith(("/", "\\"))
        or any(part in ("", ".", "..") or part.lower() == ".git" for part in parts)
        or any(c < " " or c == "\x7f" for c in text)
        or (len(text) > 1 and text[1] == ":")  # C:\...
    ):
        raise _BadValue(
            "expected a relative path inside the repository, without '..' or '.git' parts, "
            f"got {value!r}"
        )
    return text


def _log_level(value: object) -> str:
    level = _text(value).upper()
    if level not in _LOG_LEVELS:
        raise _BadValue(f"unknown log level {value!r}")
    return level


def _flag(value: object) -> bool:
    """Booleans as YAML, 0/1, or the usual words ("true", "off", "yes", ...)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    flag = parse_flag(value) if isinstance(value, str) else None
    if flag is not None:
        return flag
    raise _BadValue(f"expected true or false, got {value!r}")


def _names(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _BadValue(f"expected a list of names, got {value!r}")
    return tuple(check_name(item) for item in value)


def _enrichments(value: object) -> tuple[EnrichmentConfig, ...]:
    if not isinstance(value, list):
        raise _BadValue(f"expected a list of enrichments, got {value!r}")
    result: list[EnrichmentConfig] = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise _BadValue(f"an enrichment needs a string `type`, got {item!r}")
        config = item.get("config", {})
        if not isinstance(config, dict):
            raise _BadValue(f"enrichment `config` must be a mapping, got {config!r}")
        result.append(EnrichmentConfig(item["type"], config))
    return tuple(result)


_PARSERS: dict[str, Callable[[object], Any]] = {
    "index": _index_file,
    "config_file_name": _text,
    "log_level": _log_level,
    "debug": _flag,
    "emojis": _flag,
    "types": _names,
    "stages": _names,
    "enrichments": _enrichments,
    "autoload_enrichments": _flag,
    "promotion": lambda value: value,  # read once `stages` is known (load_config)
    "sign": _flag,
    "allowed_signers": _index_file,
    "revoked_signers": _index_file,
}
_JSON_FIELDS = frozenset({"types", "stages", "enrichments", "promotion"})


def _from_file(text: str | bytes, path: str, overridden: Collection[str]) -> dict[str, Any]:
    """Validated `.gto` values by lower-cased key; any problem is WrongConfig(path).

    Values for `overridden` keys are dropped unchecked: the environment replaces
    them, so a bad one cannot matter (upstream behaves the same, observed).
    """
    try:
        data = load_yaml(text, what=path)
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise _BadValue("the top level must be a mapping")
        values: dict[str, Any] = {}
        for key, value in data.items():
            name = key.lower() if isinstance(key, str) else None
            if name not in _PARSERS:
                raise _BadValue(f"unknown key {key!r}")
            if name in values:
                raise _BadValue(f"key {key!r} is given twice (keys are case-insensitive)")
            try:
                values[name] = None if name in overridden else _PARSERS[name](value)
            except (_BadValue, ValidationError) as err:
                raise _BadValue(f"{key}: {err}") from err
    except YamlError as err:
        # Upstream's one-line message, then why: where the YAML broke, or the bad field.
        raise WrongConfig(path, err.reason) from err
    except (_BadValue, ValidationError) as err:
        reason = str(err)  # the file may hold a megabyte in one value: cut it short
        raise WrongConfig(path, reason if len(reason) <= 200 else f"{reason[:197]}...") from err
    return values


def _json(raw: str, name: str) -> object:
    import json  # only environment values are JSON

    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        what = "a JSON object" if name == "promotion" else "a JSON list"
        raise _BadValue(f"expected {what}, got {raw!r}") from None


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """Validated `GTO_*` values by lower-cased key.

    Raises:
        ValidationError: a value that does not parse, a stage or type name
            that the grammar forbids, or one key set under two spellings.
    """
    values: dict[str, Any] = {}
    seen: dict[str, str] = {}
    for var, raw in environ.items():
        if not var.upper().startswith(_ENV_PREFIX):
            continue
        name = var[len(_ENV_PREFIX) :].lower()
        if name not in _PARSERS or name in _FILE_ONLY:
            continue
        if name in seen:
            raise ValidationError(f"Environment variables {seen[name]} and {var} both set {name}")
        seen[name] = var
        try:
            values[name] = _PARSERS[name](_json(raw, name) if name in _JSON_FIELDS else raw)
        except _BadValue as err:
            raise ValidationError(f"Invalid value in environment variable {var}: {err}") from err
    return values


def load_config(text: str | bytes | None, *, path: str, environ: Mapping[str, str]) -> Config:
    """Combine defaults, the `.gto` content (None when there is no file) and `GTO_*` vars.

    `path` is the absolute path of `.gto`, used only in error messages.

    >>> load_config("STAGES: [dev]", path="/r/.gto", environ={"GTO_TYPES": '["model"]'})
    Config(types=('model',), stages=('dev',), index='artifacts.yaml', emojis=True, \
log_level='INFO', debug=False, enrichments=(), autoload_enrichments=True, config_file_name='.gto', \
promotion=PromotionRules(stages={}), sign=False, allowed_signers=None, revoked_signers=None)

    Raises:
        WrongConfig: the file is not YAML, not a mapping, has an unknown key or a bad value.
        ValidationError: an environment variable has a bad value.
    """
    env_values = _from_env(environ)
    file_values = {} if text is None else _from_file(text, path, env_values.keys())
    settings = {k: v for k, v in file_values.items() if k not in _ENV_ONLY}
    merged = {**settings, **env_values}
    raw_rules = merged.pop("promotion", None)
    try:
        rules = parse_promotion(raw_rules, stages=merged.get("stages"))
    except WrongPromotionRules as err:  # its message names the field already
        if "promotion" in env_values:
            raise ValidationError(
                f"Invalid value in environment variable GTO_PROMOTION: {err}"
            ) from err
        raise WrongConfig(path, str(err)) from err
    return Config(**merged, promotion=rules)


def env_config_lines(environ: Mapping[str, str]) -> list[str]:
    """The environment-only settings as `gto doctor` lists them (1.10.1 order and spelling).

    >>> env_config_lines({"GTO_STAGES": '["dev", "prod"]'})[6]
    "stages=['dev', 'prod']"
    """
    config = Config(**{k: v for k, v in _from_env(environ).items() if k != "promotion"})

    def listed(value: tuple[Any, ...] | None) -> list[Any] | None:
        return None if value is None else list(value)

    return [
        f"INDEX={config.index!r}",
        f"CONFIG_FILE_NAME={config.config_file_name!r}",
        f"LOG_LEVEL={config.log_level!r}",
        f"DEBUG={config.debug!r}",
        f"EMOJIS={config.emojis!r}",
        f"types={listed(config.types)!r}",
        f"stages={listed(config.stages)!r}",
        f"enrichments={listed(config.enrichments)!r}",
        f"autoload_enrichments={config.autoload_enrichments!r}",
    ]


def check_stage(config: Config, stage: str) -> str:
    """Validate a stage name, then the project's allowed stages (an empty list allows none).

    >>> check_stage(Config(stages=("dev",)), "prod")
    Traceback (most recent call last):
    gto.exceptions.UnknownStage: Allowed stages are: '['dev']'
    """
    check_name(stage)
    if config.stages is not None and stage not in config.stages:
        raise UnknownStage(stage, config.stages)
    return stage


def check_type(config: Config, type: str) -> str:
    """Validate an artifact type name, then the project's allowed types."""
    check_name(type)
    if config.types is not None and type not in config.types:
        raise UnknownType(type, config.types)
    return type

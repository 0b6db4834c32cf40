"""egg-validate's rule objects (node-modules/parameter), for `ctx.validate({...})` and `app.validator`.

    ctx.validate({
        "title": "string",                                            # a type name
        "tab": {"type": "enum", "values": ["ask", "share"], "required": False},
        "page": {"type": "string", "format": re.compile(r"\\d+"), "required": False},
        "tags": {"type": "array", "item_type": "string", "min": 1},
        "id": re.compile(r"^\\d+$"),                                   # a regex: a string matching it
        "sort": ["asc", "desc"],                                      # a list: enum
    }, ctx.query)

Types: `string`, `int`/`integer`, `number`, `boolean`/`bool`, `enum`, `email`, `url`, `password`, `id`,
`date`, `datetime`/`date_time`, `object` (`rule` for its fields), `array` (`item_type`, `rule`), and any
added with `app.validator.add_rule(name, check)`. Options: `required` (default True), `allow_empty`,
`min`, `max`, `format`, `values`, `trim`, `default`, `compare`, `message`. Errors are parameter's:
`{"message": "required", "field": "title", "code": "missing_field"}` for a missing value, else
`{"message": "should be a string", ..., "code": "invalid"}`.
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from eggbin.web.application import EggCore
    from eggbin.web.egg_api import EggApi

Error = dict[str, str]
Check = Callable[[dict[str, Any], object, object], str | list[Error] | None]

EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$",
    re.I,
)
URL = re.compile(
    r"^(?:(?:https?|ftp)://)(?:\S+(?::\S*)?@)?(?:(?:[a-z\u00a1-\uffff0-9]-*)*[a-z\u00a1-\uffff0-9]+)(?:\.(?:[a-z\u00a1-\uffff0-9]-*)*[a-z\u00a1-\uffff0-9]+)*(?:\.(?:[a-z\u00a1-\uffff]{2,}))?(?::\d{2,5})?(?:/[^\s]*)?$",
    re.I,
)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
ID = re.compile(r"^\d+$")


def _format(value: object) -> str:
    return f"/{value.pattern}/" if isinstance(value, re.Pattern) else str(value)


def _is_int(value: object) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer()
    )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value)


def _range(rule: dict[str, Any], value: object, what: str = "") -> str | None:
    if "max" in rule and value > rule["max"]:
        return f"{what}should smaller than {rule['max']}"
    if "min" in rule and value < rule["min"]:
        return f"{what}should bigger than {rule['min']}"
    return None


def check_int(rule: dict[str, Any], value: object, parent: object) -> str | None:
    return "should be an integer" if not _is_int(value) else _range(rule, value)


def check_number(rule: dict[str, Any], value: object, parent: object) -> str | None:
    return "should be a number" if not _is_number(value) else _range(rule, value)


def check_string(rule: dict[str, Any], value: object, parent: object) -> str | None:
    if not isinstance(value, str):
        return "should be a string"
    allow_empty = rule.get("allow_empty", rule.get("required") is False)
    if not allow_empty and value == "":
        return "should not be empty"
    if "max" in rule and len(value) > rule["max"]:
        return f"length should smaller than {rule['max']}"
    if "min" in rule and len(value) < rule["min"]:
        return f"length should bigger than {rule['min']}"
    fmt = rule.get("format")
    if fmt is not None and not re.search(fmt, value):
        return str(rule.get("message") or f"should match {_format(fmt)}")
    return None


def _string_like(pattern: re.Pattern[str], message: str) -> Check:
    def check(rule: dict[str, Any], value: object, parent: object) -> str | None:
        return check_string(
            {**rule, "format": pattern, "message": rule.get("message") or message}, value, parent
        )

    return check


def check_password(rule: dict[str, Any], value: object, parent: object) -> str | None:
    error = check_string({"min": 6, **rule}, value, parent)
    siblings = cast("Mapping[str, object]", parent or {})  # a password rule sits in an object's rules
    if error is None and rule.get("compare") and value != siblings.get(rule["compare"]):
        return f"should equal to {rule['compare']}"
    return error


def check_boolean(rule: dict[str, Any], value: object, parent: object) -> str | None:
    return None if isinstance(value, bool) else "should be a boolean"


def check_enum(rule: dict[str, Any], value: object, parent: object) -> str | None:
    values = rule.get("values")
    if not isinstance(values, list | tuple):
        raise TypeError("an enum rule needs `values`, a list")
    return None if value in values else f"should be one of {', '.join(map(str, values))}"


class Validator:
    """`app.validator` (egg-validate's `Parameter`): `validate(rules, data)` → errors or None."""

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.convert = bool((options or {}).get("convert"))
        self.checks: dict[str, Check] = {
            "int": check_int, "integer": check_int, "number": check_number, "string": check_string,
            "boolean": check_boolean, "bool": check_boolean, "enum": check_enum, "password": check_password,
            "email": _string_like(EMAIL, "should be an email"), "url": _string_like(URL, "should be a url"),
            "id": _string_like(ID, "should be an id"), "date": _string_like(DATE, "should be a date"),
            "datetime": _string_like(DATETIME, "should be a date with format YYYY-MM-DD HH:mm:ss"),
            "object": self._check_object, "array": self._check_array,
        }  # fmt: skip
        self.checks["date_time"] = self.checks["dateTime"] = self.checks["datetime"]

    def add_rule(self, name: str, check: Callable[..., Any]) -> None:
        """A custom type: `check(rule, value)` (or `check(rule, value, parent)`) returns an error message."""
        takes_parent = len(inspect.signature(check).parameters) >= 3
        self.checks[name] = check if takes_parent else (lambda rule, value, parent: check(rule, value))

    def validate(self, rules: Mapping[str, Any], data: object) -> list[Error] | None:
        """parameter's errors for `data` against `rules`, or None when it is valid."""
        if not isinstance(data, dict):
            return [{"message": "the validated value should be an object", "code": "invalid", "field": ""}]
        errors: list[Error] = []
        for field, raw in rules.items():
            rule = self.normalize(raw)
            value = data.get(field)
            if isinstance(value, str) and rule.get("trim"):
                value = data[field] = value.strip()
            if value is None:
                if rule.get("required", True) is not False:
                    errors.append({"message": "required", "field": field, "code": "missing_field"})
                if "default" in rule:
                    data[field] = rule["default"]
                continue
            check = self.checks.get(rule["type"])
            if check is None:
                raise TypeError(f"rule type `{rule['type']}` is unknown: use one of {sorted(self.checks)}")
            if self.convert or rule.get("convert"):
                value = data[field] = _converted(rule["type"], value)
            found = check(rule, value, data)
            if isinstance(found, str):
                errors.append({"message": found, "field": field, "code": "invalid"})
            elif found:
                errors.extend({**e, "field": f"{field}.{e['field']}" if e["field"] else field} for e in found)
        return errors or None

    @staticmethod
    def normalize(raw: object) -> dict[str, Any]:
        """parameter's shorthands: `"string"`, a regex (a string matching it), a list (an enum)."""
        if isinstance(raw, str):
            return {"type": raw}
        if isinstance(raw, re.Pattern):
            return {"type": "string", "format": raw}
        if isinstance(raw, list | tuple):
            return {"type": "enum", "values": list(raw)}
        if isinstance(raw, Mapping):
            rule = dict(raw)
            rule.setdefault("type", "object" if "rule" in rule else "string")
            return rule
        raise TypeError(f"a rule must be a type name, a regex, a list or a dict, got {raw!r}")

    def _check_object(self, rule: dict[str, Any], value: object, parent: object) -> str | list[Error] | None:
        if not isinstance(value, dict):
            return "should be an object"
        return self.validate(rule["rule"], value) if rule.get("rule") else None

    def _check_array(self, rule: dict[str, Any], value: object, parent: object) -> str | list[Error] | None:
        if not isinstance(value, list):
            return "should be an array"
        error = _range(rule, len(value), "length ")
        if error or not (rule.get("item_type") or rule.get("rule")):
            return error
        item_rule = self.normalize({"type": rule.get("item_type", "object"), "rule": rule.get("rule")})
        if item_rule.get("rule") is None:
            item_rule.pop("rule")
        errors: list[Error] = []
        for index, item in enumerate(value):
            errors += self.validate({str(index): item_rule}, {str(index): item}) or []
        return errors or None  # fields `0`, `1.name`...: the caller puts the array's name before them


def _converted(kind: str, value: object) -> Any:
    """parameter's `convert`: strings from a query or a form as the type the rule wants."""
    try:
        if kind in ("int", "integer") and isinstance(value, str):
            return int(float(value))
        if kind == "number" and isinstance(value, str):
            return float(value)
        if kind in ("boolean", "bool") and not isinstance(value, bool):
            return str(value).lower() not in ("", "0", "false", "no")
        if kind == "string" and not isinstance(value, str):
            return str(value)
    except ValueError:
        return value
    return value


def validator_of(app: EggApi | None) -> Validator:
    """`app.validator`, made from `config.validate` (egg-validate's options) on first use."""
    found = getattr(app, "_validator", None)
    if not isinstance(found, Validator):
        found = Validator(cast("EggCore", app).config.get("validate") if app is not None else None)
        if app is not None:
            app._validator = found
    return found

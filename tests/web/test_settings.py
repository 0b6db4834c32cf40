"""Built-in settings checked by pydantic models after the merge: one-line errors, unknown-key warnings."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from eggbin.cluster.child import make_app
from eggbin.cluster.options import ChildOptions, ClusterOptions
from eggbin.errors import BootError
from eggbin.web.env import ServerEnv
from eggbin.web.settings import CHECKED, LoadedConfig, set_outside_eggbin
from eggbin.web.settings.check import (
    check_sections,
    checked_sections,
)
from eggbin.web.settings.sections import TopLevel
from eggbin.web.units import EGGBIN_PATH
from tests.web.boot_support import boot, boot_error, write_app

SIZE = 'expected a size like "1mb" or a number of bytes'


def _warnings(base: Path) -> list[str]:
    log = base / "logs" / "tmp-app" / "egg-web.log"
    return [line.split("[egg:loader] ", 1)[1] for line in log.read_text().splitlines() if " WARN " in line]


def _default_py_error(tmp_path: Path, source: str) -> tuple[str, Path]:
    """The boot error of an app whose `config/default.py` is `source`, and that file."""
    base = write_app(tmp_path / "app", {"config/default.py": source})
    return asyncio.run(boot_error(base)), base / "config" / "default.py"


def _booted_warnings(base: Path) -> list[str]:
    async def scenario() -> None:
        app = await boot(base)
        assert app.checks_settings is True
        await app.close()

    asyncio.run(scenario())
    return _warnings(base)


def test_a_bad_size_names_the_key_the_value_the_file_line_and_what_is_expected(tmp_path: Path) -> None:
    source = (
        'config = {\n    "keys": "k",\n    "body_parser": {\n        "json_limit": "1 megabyte",\n    },\n}\n'
    )
    message, file = _default_py_error(tmp_path, source)
    assert message == f"`config.body_parser.json_limit` is `'1 megabyte'` (set in `{file}:4`): {SIZE}"


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ('"body_parser": {"strict": "yes"}', "`config.body_parser.strict` is `'yes'`"),
        ('"body_parser": "big"', "`config.body_parser` is `'big'`"),
        ('"security": {"csrf": {"cookie_name": 7}}', "`config.security.csrf.cookie_name` is `7`"),
        ('"static": {"max_age": -1}', "`config.static.max_age` is `-1`"),
        ('"ready_timeout": "soon"', "`config.ready_timeout` is `'soon'`"),
        ('"websocket": {"max_size": True}', "`config.websocket.max_size` is `True`"),
    ],
)
def test_a_value_of_the_wrong_type_fails_the_boot(tmp_path: Path, setting: str, expected: str) -> None:
    base = write_app(tmp_path / "app", {"config/default.py": f'config = {{"keys": "k", {setting}}}\n'})
    message = asyncio.run(boot_error(base))
    assert message.startswith(f"{expected} (set in `{base / 'config' / 'default.py'}:1`): expected "), message
    assert "\n" not in message


def test_each_kind_says_what_it_expects(tmp_path: Path) -> None:
    cases = {
        '"body_parser": {"strict": "yes"}': "expected True or False",
        '"body_parser": "big"': "expected a dict",
        '"static": {"max_age": 1.5}': "expected a whole number >= 0",
        '"body_parser": {"enable_types": "json"}': "expected a list of strings",
        '"i18n": {"cookie_max_age": "forever"}': 'expected seconds or a duration like "30d" or "1y"',
        '"session": {"same_site": "sometimes"}': 'expected "strict", "lax", "none", True, False or None',
    }
    for index, (setting, expected) in enumerate(cases.items()):
        base = write_app(tmp_path / f"app{index}", {"config/default.py": f"config = {{{setting}}}\n"})
        assert asyncio.run(boot_error(base)).endswith(f": {expected}"), setting


def test_the_error_names_the_env_file_that_set_the_value(tmp_path: Path) -> None:
    files = {
        "config/default.py": 'config = {"keys": "k", "body_parser": {"json_limit": "2mb"}}\n',
        "config/prod.py": 'config = {\n    "body_parser": {"json_limit": "lots"},\n}\n',
    }
    base = write_app(tmp_path / "app", files)
    assert asyncio.run(boot(base, env="unittest")).config.body_parser.json_limit == "2mb"
    assert asyncio.run(boot_error(base, env="prod")) == (
        f"`config.body_parser.json_limit` is `'lots'` (set in `{base / 'config' / 'prod.py'}:2`): {SIZE}"
    )


def test_an_item_of_a_list_names_the_file_of_the_list(tmp_path: Path) -> None:
    message, file = _default_py_error(tmp_path, 'config = {"dump": {"ignore": ["token", 3]}}\n')
    assert (
        message == f"`config.dump.ignore` is `['token', 3]` (set in `{file}:1`): expected a list of strings"
    )


def test_unknown_keys_of_a_built_in_section_warn_with_the_closest_key(tmp_path: Path) -> None:
    source = (
        "config = {\n"
        '    "keys": "k",\n'
        '    "body_parser": {"jsonLimit": "2mb", "json_limt": "3mb"},\n'
        '    "security": {"csrf": {"cookieName": "t"}, "ctoken": False},\n'
        "}\n"
    )
    base = write_app(tmp_path / "app", {"config/default.py": source})
    file = base / "config" / "default.py"
    assert _booted_warnings(base) == [
        f"`config.body_parser.jsonLimit` (set in `{file}:3`) is not a setting of `body_parser`; "
        "did you mean `json_limit`?",
        f"`config.body_parser.json_limt` (set in `{file}:3`) is not a setting of `body_parser`; "
        "did you mean `json_limit`?",
        f"`config.security.ctoken` (set in `{file}:4`) is not a setting of `security`; "
        "eggbin does not read it",
        f"`config.security.csrf.cookieName` (set in `{file}:4`) is not a setting of `security.csrf`; "
        "did you mean `cookie_name`?",
    ]


def test_user_sections_and_the_spellings_eggbin_accepts_are_not_warned(tmp_path: Path) -> None:
    source = """
        config = {
            "keys": "k",
            "mine": {"jsonLimit": "anything", "nested": {"x": 1}},
            "cors": {"origin": "https://a.example", "credentials": True},
            "site_file": {"/favicon.ico": "https://cdn.example/f.ico"},
            "security": {"csrf": False, "hsts": {"enable": True, "match": "/secure"}},
            "onerror": {"json": None},
            "body_parser": {"json_limit": 2048, "form_limit": "64kb"},
        }
    """
    base = write_app(tmp_path / "app", {"config/default.py": source})
    assert _booted_warnings(base) == []


def test_the_config_users_read_is_left_as_written(tmp_path: Path) -> None:
    source = 'config = {"keys": "k", "body_parser": {"json_limit": "2mb"}, "session": {"max_age": 60}}\n'
    base = write_app(tmp_path / "app", {"config/default.py": source})

    async def scenario() -> None:
        app = await boot(base)
        assert app.config.body_parser.json_limit == app.config["body_parser"]["json_limit"] == "2mb"
        assert app.config.session.max_age == 60
        await app.close()

    asyncio.run(scenario())


def test_a_built_in_plugin_s_section_is_checked_while_the_plugin_is_on(tmp_path: Path) -> None:
    config = 'config = {"keys": "k", "session": {"max_age": "1 day", "maxAge": 1}}\n'
    message, file = _default_py_error(tmp_path, config)
    assert (
        message
        == f"`config.session.max_age` is `'1 day'` (set in `{file}:1`): "
        + 'expected a number of seconds or "session"'
    )

    off = write_app(
        tmp_path / "off", {"config/default.py": config, "config/plugin.py": 'plugins = {"session": False}\n'}
    )
    assert _booted_warnings(off) == []


def test_a_middleware_the_app_overrides_owns_its_options(tmp_path: Path) -> None:
    files = {
        "config/default.py": 'config = {"keys": "k", "body_parser": {"json_limit": "huge", "mode": 1}}\n',
        "app/middleware/body_parser.py": "def body_parser(options, app):\n    async def mw(ctx, next):\n"
        "        await next()\n\n    return mw\n",
    }
    base = write_app(tmp_path / "app", files)
    assert _booted_warnings(base) == []


def test_eggbin_s_own_defaults_pass_every_model(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = await boot(write_app(tmp_path / "app", {}))
        loaded = LoadedConfig(app.config, app.config_meta, app.units, app.plugins, app.built_in_plugins)
        assert set(checked_sections(loaded)) | set(TopLevel.model_fields) == CHECKED  # kept in step
        assert check_sections(loaded, set(CHECKED)) == []
        await app.close()

    asyncio.run(scenario())


def test_only_names_set_outside_eggbin_are_checked() -> None:
    meta = {
        "body_parser.json_limit": "/srv/app/config/default.py",
        "static.dir": f"{EGGBIN_PATH}/config/default.py",
    }
    assert set_outside_eggbin(meta) == {"body_parser"}


@pytest.mark.parametrize(
    ("role", "slot", "checks"), [("agent", 0, True), ("worker", 1, False), ("worker", 2, False)]
)
def test_in_a_cluster_the_agent_checks_the_settings_for_every_worker(
    tmp_path: Path, role: str, slot: int, checks: bool
) -> None:
    base = write_app(tmp_path / "app", {})
    options = ChildOptions(ClusterOptions(base_dir=str(base), port=0, env="unittest"), role, slot, -1)
    assert make_app(options, role).checks_settings is checks


def _apart_outcome(base: Path) -> tuple[str | None, list[str]]:
    """The error (or None) and the warnings of an agent's settings check, run in a forked child while
    the boot goes on (the boot itself completes: the verdict is awaited afterwards)."""
    from eggbin.web.framework import create_app

    async def scenario() -> tuple[str | None, list[str]]:
        agent = create_app("agent", base, ServerEnv("unittest", "test"))
        agent.checks_settings_apart = True
        await agent.boot()
        assert agent.settings_check is not None
        try:
            warnings = await agent.settings_check.verdict()
        except BootError as exc:
            return str(exc), []
        finally:
            await agent.close()
        return None, warnings

    return asyncio.run(scenario())


def test_an_agent_with_nothing_to_check_forks_no_check(tmp_path: Path) -> None:
    from eggbin.web.framework import create_app

    async def scenario() -> None:
        agent = create_app("agent", write_app(tmp_path / "app", {}), ServerEnv("unittest", "test"))
        agent.checks_settings_apart = True
        await agent.boot()
        assert agent.settings_check is None
        await agent.close()

    asyncio.run(scenario())


def test_a_check_in_a_forked_child_fails_and_warns_as_one_in_process(tmp_path: Path) -> None:
    """The agent checks apart (it keeps none of pydantic's memory): the same error, the same warnings."""
    bad = 'config = {\n    "keys": "k",\n    "body_parser": {"json_limit": "1 megabyte"},\n}\n'
    base = write_app(tmp_path / "bad", {"config/default.py": bad})
    error, _ = _apart_outcome(base)
    assert error == _default_py_error(tmp_path / "again", bad)[0].replace(
        str(tmp_path / "again" / "app"), str(base)
    )
    typo = write_app(tmp_path / "typo", {"config/default.py": 'config = {"body_parser": {"jsonLimit": 1}}\n'})
    error, warnings = _apart_outcome(typo)
    assert error is None
    assert any("did you mean `json_limit`" in line for line in warnings), warnings

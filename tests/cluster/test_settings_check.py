"""The agent's settings check runs beside the workers' boot: its one line still fails the start."""

from __future__ import annotations

from pathlib import Path

import pytest

from eggbin.errors import ClusterStartError
from tests.cluster.running import START_TIMEOUT, copy_app, start, stop, with_title
from tests.support import wait_until


@pytest.mark.parametrize("zygote", [True, False], ids=["zygote", "spawned"])
def test_a_bad_setting_fails_the_start_with_the_checks_line(tmp_path: Path, zygote: bool) -> None:
    """`json_limit = "1 megabyte"` also breaks the workers' body parser while the check runs: the
    start still fails with the check's line (the workers' failure is held until the check has spoken)."""
    app_dir = copy_app(tmp_path, "cluster_basic")
    config = app_dir / "config" / "unittest.py"
    config.write_text('config = {"body_parser": {"json_limit": "1 megabyte"}}\n')
    process, title = start(app_dir, tmp_path / "master.log", zygote=zygote)
    try:
        with pytest.raises(ClusterStartError) as error:
            process.wait_ready(START_TIMEOUT)
        assert str(error.value) == (
            "agent failed to start: `config.body_parser.json_limit` is `'1 megabyte'` "
            f'(set in `{config}:1`): expected a size like "1mb" or a number of bytes'
        )
        assert process.wait(15) == 1
        wait_until(lambda: not with_title(title), what="every process of the failed cluster to exit")
        assert not (app_dir / "run" / "cluster.json").exists()
    finally:
        stop(process)

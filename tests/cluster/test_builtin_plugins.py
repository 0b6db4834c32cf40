"""egg's built-in plugins in a real 2-worker cluster: a cookie session made by one worker is read by the
other (same keys, no shared state), and i18n answers in every worker."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.cluster.running import running


def test_the_cookie_session_follows_the_visitor_across_workers(tmp_path: Path) -> None:
    with running(tmp_path, "session_app") as cluster:
        workers = set(cluster.ready.pids["workers"])
        jar = httpx.Cookies()
        visits: list[int] = []
        for made in range(1, 61):
            # a new connection per request, so the kernel spreads them over both workers
            with httpx.Client(base_url=cluster.url, cookies=jar, timeout=15) as http:
                response = http.get("/visit", headers={"accept-language": "zh-CN"})
            assert response.status_code == 200, response.text
            jar.update(response.cookies)
            visits = response.json()["visits"]
            assert len(visits) == made  # every visit, whichever worker served it, is in the session
            assert response.json()["locale"] == "en-us"  # no zh-CN texts in this app: the default
            if set(visits) == workers and made >= 10:
                break
        assert set(visits) == workers, f"every request went to one worker: {visits}"

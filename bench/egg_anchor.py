"""The Node anchor: an egg hello app (egg 3, egg-scripts, egg-bin, egg-mock) for benchmarks that compare.

Installed once with npm into `bench/.work/egg` (git-ignored); every bench that uses it gets None when
npm is missing or the install fails, and says so in its table instead of comparing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"
PACKAGE = {
    "name": "egg-hello",
    "private": True,
    "scripts": {"test": "egg-bin test"},
    "dependencies": {"egg": "^3", "egg-scripts": "^3"},
    "devDependencies": {"egg-bin": "^6", "egg-mock": "^5"},
}
# `{text}` is what the benches rewrite; JS braces are doubled for str.format.
CONTROLLER = """const {{ Controller }} = require('egg');

module.exports = class HomeController extends Controller {{
  async index() {{
    this.ctx.body = '{text}';
  }}
}};
"""
FILES = {
    "app/router.js": "module.exports = app => {\n  app.router.get('/', app.controller.home.index);\n};\n",
    "config/config.default.js": "module.exports = { keys: 'bench' };\n",
    "test/app/controller/home.test.js": (
        "const { app } = require('egg-mock/bootstrap');\n\n"
        "describe('test/app/controller/home.test.js', () => {\n"
        "  it('GET /', () => app.httpRequest().get('/').expect(200).expect('hi, egg'));\n"
        "});\n"
    ),
}


def egg_app(text: str = "hi, egg") -> Path | None:
    """The installed egg app serving `text` at `/`, or None when Node/npm cannot provide it."""
    app = WORK / "egg"
    package = json.dumps(PACKAGE, indent=2)
    manifest = app / "package.json"
    if shutil.which("npm") is None:
        return None
    for name, content in FILES.items():
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_text(content)
    (app / "app" / "controller").mkdir(parents=True, exist_ok=True)
    controller(app).write_text(CONTROLLER.format(text=text))
    installed = (app / "node_modules" / ".bin" / "egg-bin").exists()
    if not installed or not manifest.exists() or manifest.read_text() != package:
        manifest.write_text(package)
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=app, capture_output=True)
        if done.returncode != 0:
            return None
    return app


def controller(app: Path) -> Path:
    return app / "app" / "controller" / "home.js"


def bin_path(app: Path, name: str) -> str:
    """`egg-scripts` / `egg-bin` from the app's node_modules."""
    return str(app / "node_modules" / ".bin" / name)


def egg_boilerplate() -> Path | None:
    """egg's own `simple` scaffold (`npm init egg --type=simple`), installed; None without npm/npx."""
    root = WORK / "boilerplate"
    app = root / "app"
    if shutil.which("npx") is None:
        return None
    if not (app / "package.json").exists():
        root.mkdir(parents=True, exist_ok=True)
        # `--silent` takes every default: piping the answers all at once made egg-init's prompts read
        # them before they were asked, and the scaffold failed
        argv = ["npx", "--yes", "create-egg@3", "app", "--type=simple", "--silent"]
        done = subprocess.run(argv, cwd=root, stdin=subprocess.DEVNULL, capture_output=True)
        if done.returncode != 0 or not (app / "package.json").exists():
            return None
    if not (app / "node_modules" / ".bin" / "egg-bin").exists():
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=app, capture_output=True)
        if done.returncode != 0:
            return None
    return app

"""The size of eggbin's two installs: production (`pip install eggbin`) and with the toolchain (`[dev]`).

    python bench/install_size.py

Each install goes into a fresh venv from a wheel of this checkout (its dependencies from the configured
index). Reported: the venv's site-packages in MB and the number of distributions, pip and setuptools
(which every venv has) not counted. Egg's split is the model: egg-scripts a dependency, egg-bin a
devDependency.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import RESULTS

REPO = Path(__file__).resolve().parent.parent
VENV_OWN = {"pip", "setuptools"}
COUNT = """
import json, sysconfig
from importlib.metadata import distributions
from pathlib import Path
site = Path(sysconfig.get_path("purelib"))
names = sorted({d.metadata["Name"].lower() for d in distributions(path=[str(site)])})
print(json.dumps({"site": str(site), "names": names}))
"""


def install(work: Path, wheel: Path, extra: str) -> dict[str, object]:
    venv = work / f"venv{extra or '-prod'}"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    requirement = f"eggbin{extra} @ {wheel.as_uri()}"
    subprocess.run([python, "-m", "pip", "install", "--quiet", requirement], check=True)
    found = json.loads(subprocess.run([python, "-c", COUNT], check=True, capture_output=True).stdout)
    site = Path(found["site"])
    names = [n for n in found["names"] if n not in VENV_OWN]
    own = [
        p
        for p in site.iterdir()
        if p.name.split("-")[0].lower() in VENV_OWN or p.name.startswith("_distutils")
    ]
    size = sum(
        f.stat().st_size for f in site.rglob("*") if f.is_file() and not any(f.is_relative_to(o) for o in own)
    )
    return {"install": f"eggbin{extra}", "mb": round(size / 1e6, 1), "packages": len(names), "names": names}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="eggbin-size-") as tmp:
        work = Path(tmp)
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work), str(REPO)],
            check=True,
        )
        wheel = next(work.glob("eggbin-*.whl"))
        rows = [install(work, wheel, ""), install(work, wheel, "[dev]")]
    print(f"\n{'install':<14}  {'site-packages':>13}  {'packages':>8}")
    for row in rows:
        print(f"{row['install']:<14}  {row['mb']:>10.1f} MB  {row['packages']:>8}")
    only_dev = sorted(set(rows[1]["names"]) - set(rows[0]["names"]))  # type: ignore[arg-type]
    print(f"only with [dev]: {', '.join(only_dev)}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "install_size.json").write_text(json.dumps({"rows": rows, "only_dev": only_dev}, indent=2))


if __name__ == "__main__":
    main()

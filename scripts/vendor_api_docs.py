"""Vendor the API reference renderers (Swagger UI for /docs, ReDoc for /redoc) from the npm
registry into src/croupier/web/static/vendor/, with their licences and a note of where each
file came from. Run it to upgrade: `python3 scripts/vendor_api_docs.py [SWAGGER_VERSION REDOC_VERSION]`
(needs `npm`), then run tests/web/test_api_docs_offline.py.

Files are copied unchanged except one line of ReDoc, patched so the page loads nothing from
the internet: ReDoc 2 always renders its vendor's logo from cdn.redoc.ly in the side menu
(no option turns it off). The image source becomes an empty data: URL, which fails to decode
and which ReDoc then hides (its own onError handler), so the link text stays and no request
is made."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "src" / "croupier" / "web" / "static" / "vendor"
SWAGGER_VERSION, REDOC_VERSION = "5.35.0", "2.5.4"
SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-bundle.js.LICENSE.txt", "LICENSE", "NOTICE")
REDOC_FILES = ("bundles/redoc.standalone.js", "bundles/redoc.standalone.js.LICENSE.txt", "LICENSE")
REDOC_PATCHES = ((b'src:"https://cdn.redoc.ly/redoc/logo-mini.svg"', b'src:"data:,"'),)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _unpack(spec: str, into: Path) -> Path:
    """`npm pack` the package into `into` and extract it; returns its package/ folder."""
    name = subprocess.run(["npm", "pack", spec, "--silent"], cwd=into, check=True,
                          capture_output=True, text=True).stdout.strip().splitlines()[-1]
    with tarfile.open(into / name) as tar:
        tar.extractall(into / spec.replace("@", "-"), filter="data")
    return into / spec.replace("@", "-") / "package"


def _copy(package: Path, files: tuple[str, ...], target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for old in target.iterdir():
        old.unlink()
    for file in files:
        (target / Path(file).name).write_bytes((package / file).read_bytes())


def vendor_swagger(version: str, work: Path) -> None:
    target = VENDOR / "swagger-ui"
    _copy(_unpack(f"swagger-ui-dist@{version}", work), SWAGGER_FILES, target)
    (target / "README.md").write_text(f"""# Swagger UI (vendored)

The interactive API reference at `/docs` (built by `croupier.api.docs`), served from here so
that it works with no internet. Written by `scripts/vendor_api_docs.py`; run it to upgrade.

- Package: `swagger-ui-dist` **{version}** from the npm registry (`npm pack swagger-ui-dist@{version}`).
- Files copied unchanged: `swagger-ui-bundle.js`, `swagger-ui.css`, `LICENSE` (Apache-2.0),
  `NOTICE` and `swagger-ui-bundle.js.LICENSE.txt` (the licences of the bundled libraries).
- SHA-256:
  - `swagger-ui-bundle.js` {_sha256(target / "swagger-ui-bundle.js")}
  - `swagger-ui.css` {_sha256(target / "swagger-ui.css")}
- The page turns off the online validator badge (`validatorUrl: null`), which would send the
  spec's address to validator.swagger.io.
""")


def vendor_redoc(version: str, work: Path) -> None:
    target = VENDOR / "redoc"
    package = _unpack(f"redoc@{version}", work)
    original = _sha256(package / "bundles" / "redoc.standalone.js")
    _copy(package, REDOC_FILES, target)
    bundle = target / "redoc.standalone.js"
    text = bundle.read_bytes()
    for old, new in REDOC_PATCHES:
        if text.count(old) != 1:
            raise SystemExit(f"redoc {version}: expected one {old!r} to patch; read the bundle and update "
                             "REDOC_PATCHES (the page must load nothing from the internet)")
        text = text.replace(old, new)
    bundle.write_bytes(text)
    (target / "README.md").write_text(f"""# ReDoc (vendored)

The read-only API reference at `/redoc` (built by `croupier.api.docs`), served from here so
that it works with no internet. Written by `scripts/vendor_api_docs.py`; run it to upgrade.

- Package: `redoc` **{version}** from the npm registry (`npm pack redoc@{version}`): the 2.x line
  that FastAPI's own page uses (3.x is a different renderer with another start-up API).
- Files copied: `bundles/redoc.standalone.js`, `LICENSE` (MIT) and
  `bundles/redoc.standalone.js.LICENSE.txt` (the licences of the bundled libraries).
- One patch: ReDoc always shows its vendor's logo in the side menu, loaded from cdn.redoc.ly;
  its source is replaced by an empty `data:` URL, which ReDoc's own error handler then hides
  (the "API docs by Redocly" link stays).
- SHA-256 of `redoc.standalone.js`: {original} as published, {_sha256(bundle)} as patched.
- The bundle loads no fonts itself; FastAPI's page would add a Google Fonts link, which
  `croupier.api.docs` turns off (`with_google_fonts=False`).
""")


def main() -> int:
    swagger, redoc = (sys.argv[1], sys.argv[2]) if len(sys.argv) == 3 else (SWAGGER_VERSION, REDOC_VERSION)
    with tempfile.TemporaryDirectory() as tmp:
        vendor_swagger(swagger, Path(tmp))
        vendor_redoc(redoc, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

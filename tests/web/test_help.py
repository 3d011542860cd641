"""The documentation served in the back office (/help): every docs/*.md is a page for any
signed-in staff member, rendered safely (no raw HTML, no inline styles, no images from
elsewhere), links between documents point to their pages, names are looked up in the docs
directory's own listing (no path ever reaches the file system), and a built wheel carries
the documents."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from croupier.web import help_pages

from .conftest import STAFF, session_for

ROOT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _signed_in(app, username: str) -> TestClient:  # noqa: ANN001
    client = TestClient(app)
    client.cookies.set("croupier_session", session_for(app, username)[0])
    return client


def test_the_docs_are_found_in_the_source_checkout() -> None:
    assert help_pages.docs_dir() == ROOT / "docs"
    assert set(help_pages.documents()) == {p.stem for p in (ROOT / "docs").glob("*.md")}
    assert set(help_pages.data_files()) == {"event-schema.json", "fact-schema.json"}


@pytest.mark.parametrize("username", sorted(STAFF))
def test_every_staff_member_reads_every_document(app, username: str) -> None:  # noqa: ANN001
    client = _signed_in(app, username)
    index = client.get("/help")
    assert index.status_code == 200
    assert '<a href="/help" class="active" aria-current="page">Help</a>' in index.text
    listed = re.findall(r'<li data-doc="([^"]+)"><a href="/help/([^"]+)">', index.text)
    assert [a for a, _ in listed] == sorted(help_pages.documents()) and all(a == b for a, b in listed)
    for name in help_pages.documents():
        r = client.get(f"/help/{name}")
        assert r.status_code == 200, name
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert f'<article class="panel doc" id="doc" data-doc="{name}">' in r.text
        article = r.text[r.text.index('<article class="panel doc"'):r.text.index("</article>")]
        assert " style=" not in article and "<img" not in article and "<script" not in article


def test_signed_out_readers_are_sent_to_sign_in(app) -> None:  # noqa: ANN001
    r = TestClient(app).get("/help/configuration", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fhelp%2Fconfiguration"


def test_links_between_documents_point_to_their_pages_with_anchors(app) -> None:  # noqa: ANN001
    html = _signed_in(app, "sam").get("/help/architecture").text
    assert '<a href="/help/protocol#amounts">protocol.md</a>' in html
    assert ('<a href="/help/configuration#configuration-versions-and-four-eyes-approval">configuration.md</a>'
            in html)
    # the anchors exist where the links lead
    protocol = _signed_in(app, "sam").get("/help/protocol").text
    assert '<h2 id="amounts">Amounts</h2>' in protocol or 'id="amounts"' in protocol
    configuration = _signed_in(app, "sam").get("/help/configuration").text
    assert '<h2 id="configuration-versions-and-four-eyes-approval">' in configuration
    assert '<h3 id="the-back-office">The back office</h3>' in configuration
    # a file outside docs/ is named, not linked
    assert re.search(r'<span class="doc-file" title="\.\./BENCHMARKS\.md[^"]*\(in the source repository\)">'
                     r"BENCHMARKS\.md</span>", html)
    # the JSON schemas the protocol links to are served as JSON
    assert '<a href="/help/event-schema.json">event-schema.json</a>' in protocol
    schema = _signed_in(app, "sam").get("/help/event-schema.json")
    assert schema.status_code == 200 and schema.headers["content-type"] == "application/json"
    assert schema.json()["$schema"]


def test_mermaid_diagrams_show_as_code(app) -> None:  # noqa: ANN001
    html = _signed_in(app, "carl").get("/help/integration").text
    assert '<pre><code class="language-mermaid">sequenceDiagram' in html


def test_markdown_is_rendered_without_raw_html_styles_or_images() -> None:
    renderer = help_pages._Renderer({"other"}, {"schema.json"})
    title, summary, html = renderer.render(
        "# Title with `code`\n\nFirst <b>paragraph</b> <script>alert(1)</script>.\n\n"
        "| a | b |\n|--:|:-:|\n| 1 | 2 |\n\n![pixel](https://example.com/p.png)\n\n"
        "[js](javascript:alert(1)) [web](https://example.com/) [doc](other.md#part) [no](missing.md) "
        "[up](../README.md) [data](schema.json) [here](#title-with-code)\n\n## Same\n\n## Same\n")
    assert title == "Title with code" and summary.startswith("First <b>paragraph</b>")
    assert '<h1 id="title-with-code">' in html and '<h2 id="same">' in html and '<h2 id="same-1">' in html
    assert "&lt;b&gt;paragraph&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html and "<b>" not in html
    assert 'class="align-right"' in html and 'class="align-center"' in html and "style=" not in html
    assert "<img" not in html and "example.com/p.png" in html      # shown as a link, never loaded
    assert 'href="javascript' not in html
    assert '<a href="https://example.com/" rel="noopener noreferrer">web</a>' in html
    assert '<a href="/help/other#part">doc</a>' in html
    assert '<a href="/help/schema.json">data</a>' in html and '<a href="#title-with-code">here</a>' in html
    assert '<span class="doc-file" title="missing.md (in the source repository)">no</span>' in html
    assert '<span class="doc-file" title="../README.md (in the source repository)">up</span>' in html


@pytest.mark.parametrize("name", ["../pyproject", "..", ".", "/etc/passwd", "configuration/../architecture",
                                  "CONFIGURATION", "configuration.md/..", "%2e%2e", "", "a" * 65,
                                  "..\\pyproject", "configuration\x00", "event-schema.json"])
def test_a_page_is_only_a_name_from_the_docs_listing(name: str) -> None:
    assert help_pages.page(name) is None


@pytest.mark.parametrize("path", [
    "/help/..%2F..%2Fpyproject.toml", "/help/%2e%2e%2f%2e%2e%2fpyproject.toml", "/help/%2E%2E",
    "/help/..%5C..%5Cpyproject.toml", "/help/%2Fetc%2Fpasswd", "/help//etc/passwd", "/help/pyproject.toml",
    "/help/README", "/help/..%2FBENCHMARKS", "/help/..%2F..%2Fdocs%2Fconfiguration.json",
    "/help/%252e%252e%252fpyproject.toml", "/help/nope.json", "/help/..%2Fsrc%2Fcroupier%2F__init__.py",
])
def test_path_traversal_on_help_finds_nothing(app, path: str) -> None:  # noqa: ANN001
    r = _signed_in(app, "ada").get(path, follow_redirects=False)
    assert r.status_code in (404, 422), (path, r.status_code)
    assert "[build-system]" not in r.text and "root:" not in r.text and "__version__" not in r.text
    if r.status_code == 404 and r.headers["content-type"].startswith("text/html"):
        # the help route's own refusal, or the site's 404 page when the path is not a help page's
        assert "No such help page" in r.text or "There is no page at this address" in r.text


def test_configuration_pages_link_the_documentation_instead_of_naming_files(app) -> None:  # noqa: ANN001
    client = _signed_in(app, "ada")
    html = client.get("/config").text
    assert "docs/" not in html
    assert '<a href="/help/jurisdictions">' in html and '<a href="/help/configuration">' in html
    for template in (ROOT / "src/croupier/web/templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"docs/[a-z-]+\.md", text), template.name


def test_every_help_anchor_the_pages_link_is_a_heading_there(app) -> None:  # noqa: ANN001
    client = _signed_in(app, "ada")
    found = set()
    for template in (ROOT / "src/croupier/web/templates").rglob("*.html"):
        found |= set(re.findall(r'href="/help/([a-z-]+)#([a-z0-9-]+)"', template.read_text(encoding="utf-8")))
    assert ("rg-markers", "the-operators-own-model-model-card") in found
    for page, anchor in sorted(found):
        assert f'id="{anchor}"' in client.get(f"/help/{page}").text, (page, anchor)


def test_a_built_wheel_carries_the_documentation(tmp_path: Path) -> None:
    """`pip wheel .` from a copy of the tree: the build hook (setup.py) puts docs/ into the
    package, where an installed Croupier finds it."""
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copytree(ROOT / "docs", tree / "docs")
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "BENCHMARKS.md"):
        shutil.copy2(ROOT / name, tree / name)
    out = tmp_path / "wheel"
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", str(tree), "--no-deps", "-q", "-w", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    [wheel] = out.glob("croupier-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    docs = {f"croupier/docs/{p.name}" for p in (ROOT / "docs").iterdir() if p.suffix in (".md", ".json")}
    assert docs <= names
    assert {"croupier/web/templates/help.html", "croupier/web/static/config.css"} <= names
    # installed from the wheel, the package reads its own copy
    target = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(target)
    probe = subprocess.run([sys.executable, "-c", "import croupier.web.help_pages as h; "
                            "print(h.docs_dir()); print(h.page('configuration').title)"],
                           capture_output=True, text=True, timeout=120,
                           env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}, cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.splitlines() == [str(target / "croupier" / "docs"), "Engine configuration"]

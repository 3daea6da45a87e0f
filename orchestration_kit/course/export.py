"""The course as web pages that work offline: diagrams drawn, sliders shown, nothing fetched.

``make html`` runs this. nbconvert's pages load Mermaid, require.js and the widget
manager from CDNs; these pages load copies kept next to them instead (in
``_static/``, taken from the npm packages that ``make html`` installs into
``build/js``), so a course copied to a laptop reads the same on a train::

    python -m orchestration_kit.course.export --js build/js/node_modules --out build/html notebooks/*.ipynb

Each page goes to ``OUT/<folder of the notebook>/<name>.html``; ``OUT/_static/`` is shared.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

STATIC = "_static"
ASSETS = {  # what the pages load, and where in node_modules it comes from
    "mermaid.min.js": "mermaid/dist/mermaid.min.js",
    "require.js": "requirejs/require.js",
    "html-manager": "@jupyter-widgets/html-manager/dist",  # embed-amd.js and the icon fonts it refers to
}
INSTALL = "run `make html` (it installs them with npm into build/js), or pass --js <folder with node_modules>"

# nbconvert's lab page, with Mermaid read from a local classic script: pages opened as files
# (file://) may not import ES modules, so the page's own loader gets the global instead.
TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_mermaidjs -%}
<script src="{{ resources.offline_static }}/mermaid.min.js"></script>
<script>mermaid.initialize({startOnLoad: false});  // the page's loader below draws each diagram, once</script>
{{ super() }}
{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
"""
MERMAID_FROM_GLOBAL = "data:text/javascript,export default window.mermaid;"


def copy_assets(node_modules: Path, out: Path) -> Path:
    """Copy what the pages need from ``node_modules`` into ``out/_static``; return that folder."""
    missing = [source for source in ASSETS.values() if not (node_modules / source).exists()]
    if missing:
        raise FileNotFoundError(f"{node_modules} lacks {', '.join(missing)}: {INSTALL}")
    static = out / STATIC
    static.mkdir(parents=True, exist_ok=True)
    for name, source in ASSETS.items():
        if (node_modules / source).is_dir():
            shutil.copytree(node_modules / source, static / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.map", "*.LICENSE.txt"))
        else:
            shutil.copy2(node_modules / source, static / name)
    return static


def exporter(static_url: str):
    """An nbconvert HTMLExporter whose pages load everything from ``static_url`` (relative to the page)."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab", extra_loaders=[DictLoader({"offline.html.j2": TEMPLATE})], template_file="offline.html.j2",
        mermaid_js_url=MERMAID_FROM_GLOBAL, mermaid_layout_elk_js_url="",
        require_js_url=f"{static_url}/require.js", widget_renderer_url=f"{static_url}/html-manager/embed-amd.js",
    )


def export(notebooks: list[Path], out: Path, node_modules: Path) -> list[Path]:
    """Write one offline page per notebook under ``out``; return the pages' paths."""
    import nbformat

    copy_assets(node_modules, out)
    pages = []
    for path in notebooks:
        folder = out / path.resolve().parent.name
        folder.mkdir(parents=True, exist_ok=True)
        static_url = f"../{STATIC}"
        body, _ = exporter(static_url).from_notebook_node(
            nbformat.read(path, as_version=4), resources={"offline_static": static_url})
        page = folder / f"{path.stem}.html"
        page.write_text(body, encoding="utf-8")
        pages.append(page)
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration_kit.course.export", description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("build/html"))
    parser.add_argument("--js", type=Path, default=Path("build/js/node_modules"), help="node_modules with mermaid etc.")
    args = parser.parse_args(argv)
    try:
        for page in export(args.notebooks, args.out, args.js):
            print(f"wrote {page}")
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The exported pages hand Mermaid each diagram's text as the lesson has it, line breaks in labels included."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from orchestration_kit.course.export import ASSETS, export, keep_mermaid_text

ROOT = Path(__file__).resolve().parents[1]


class _MermaidText(HTMLParser):
    """The text of every <pre class="mermaid"> of a page, as a browser's textContent gives it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.diagrams: list[str] = []
        self._inside = False

    def handle_starttag(self, tag, attrs):
        if tag == "pre" and ("class", "mermaid") in attrs:
            self._inside = True
            self.diagrams.append("")

    def handle_endtag(self, tag):
        if tag == "pre":
            self._inside = False

    def handle_data(self, data):
        if self._inside:
            self.diagrams[-1] += data


def diagrams_of(page: str) -> list[str]:
    parser = _MermaidText()
    parser.feed(page)
    return parser.diagrams


def fake_node_modules(folder: Path) -> Path:
    """A node_modules with an empty file where each asset is expected (the page's text is what is tested)."""
    for source in ASSETS.values():
        path = folder / source
        if source.endswith(".js"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("")
        else:
            path.mkdir(parents=True, exist_ok=True)
            (path / "embed-amd.js").write_text("")
    return folder


def test_a_label_line_break_reaches_mermaid_from_the_exported_page(tmp_path):
    page, = export([ROOT / "notebooks" / "00_start_here.ipynb"], tmp_path / "html", fake_node_modules(tmp_path / "nm"))
    diagrams = diagrams_of(page.read_text(encoding="utf-8"))
    assert diagrams, "lesson 00 shows at least one diagram"
    assert any('"quick take<br/>(generalist-small)"' in text for text in diagrams)
    assert all("-->" in text for text in diagrams)  # the arrows read as arrows again, once the page is parsed


def test_only_the_text_inside_a_diagram_is_escaped():
    page = '<p>a<br/>b</p><pre class="mermaid">n1["x<br/>y"] --&gt; n2</pre><pre>c<br/>d</pre>'
    assert keep_mermaid_text(page) == '<p>a<br/>b</p><pre class="mermaid">n1["x&lt;br/>y"] --&gt; n2</pre><pre>c<br/>d</pre>'
    assert diagrams_of(keep_mermaid_text(page)) == ['n1["x<br/>y"] --> n2']

"""How a check's verdict reads: hints wrapped between words and indented, ✓ and ✗ in colour as HTML."""

from __future__ import annotations

from orchestration_kit.grading import Case, CheckResult

HINT = ("Router 'desk': the analyzer chose no route, and there is no fallback. "
        "Pass fallback=<a generalist> or lower the threshold, then run this check again to see the verdict.")


def failed() -> CheckResult:
    return CheckResult("01.demo", "failed", (Case("it routes", True), Case("it has a fallback", False, HINT)), "Demo")


def test_a_long_hint_is_wrapped_between_words_and_indented_under_its_label():
    lines = failed().report().splitlines()
    hint = [line for line in lines if line.startswith("      ")]
    assert len(hint) >= 2 and hint[0].startswith("      hint: ")
    assert all(len(line) <= 88 for line in hint)
    assert all(line.startswith(" " * 12) for line in hint[1:])  # under the hint's text, not under "hint:"
    assert " ".join(line.strip() for line in hint) == "hint: " + HINT  # no word broken, nothing lost


def test_a_hint_with_its_own_line_breaks_keeps_them():
    result = CheckResult("x", "failed", (Case("c", False, "first line\nsecond line"),))
    assert "      hint: first line\n            second line" in result.report()


def test_the_html_report_colours_the_marks_and_keeps_the_text():
    html = failed().report_html()
    assert '<b style="color: #1a7f37">✓</b> it routes' in html
    assert '<b style="color: #cf222e">✗</b> it has a fallback' in html
    assert "fallback=&lt;a generalist&gt;" in html  # escaped, so the hint shows as written
    assert html.count("score 1/2") == 1

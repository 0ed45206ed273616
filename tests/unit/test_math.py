"""LaTeX math in replies: the four delimiters are found before Markdown touches them
(backslashes kept), code and prices are left alone, an open formula shows as source,
and exports keep the source."""

from __future__ import annotations

import json

import pytest

from grokdesk.core.conversation import Conversation, Message, Role
from grokdesk.core.markdown import render_markdown
from grokdesk.core.math import MAX_FORMULA_CHARS, Formula, formula_from_url, math_url
from grokdesk.storage import jsonformat
from grokdesk.storage.exporter import conversation_markdown
from tests.helpers.safe_html import assert_safe_html, tags_of

PYTHAGORAS = r"\(a^2 + b^2 = c^2\)"
INTEGRAL = r"\[\int_0^1 x^2\,dx = \frac{1}{3}\]"
REPLY = f"{PYTHAGORAS}\n\n{INTEGRAL}\n\n$$E=mc^2$$\n\nand inline $e^{{i\\pi}} + 1 = 0$ too."


def formulas(text: str) -> list[tuple[str, bool]]:
    rendered = render_markdown(text)
    assert_safe_html(rendered.html)
    return [(f.latex, f.display) for f in rendered.formulas]


def images(text: str) -> list[str]:
    return [attrs["src"] or "" for tag, attrs in tags_of(render_markdown(text).html) if tag == "img"]


def test_the_four_delimiters_keep_every_backslash() -> None:
    assert formulas(REPLY) == [
        ("a^2 + b^2 = c^2", False),
        (r"\int_0^1 x^2\,dx = \frac{1}{3}", True),
        ("E=mc^2", True),
        (r"e^{i\pi} + 1 = 0", False),
    ]
    found = [formula_from_url(src) for src in images(REPLY)]
    assert [f.source for f in found if f] == [PYTHAGORAS, INTEGRAL, "$$E=mc^2$$", r"$e^{i\pi} + 1 = 0$"]


def test_display_formulas_are_centred_and_inline_ones_flow_with_the_text() -> None:
    html = render_markdown(f"Before {PYTHAGORAS} after\n\n{INTEGRAL}\n\nText $$x^2$$ more").html
    inline = math_url(Formula("a^2 + b^2 = c^2", False, "\\(", "\\)"))
    assert f'<p>Before <img src="{inline}" /> after</p>' in html
    assert html.count('<p align="center"><img src="math:d/') == 2
    assert "<p></p>" not in html


def test_multi_line_display_math_is_one_formula_even_with_list_like_lines() -> None:
    text = "Expand:\n$$\na^2\n- b^2\n$$\nDone."
    assert formulas(text) == [("\na^2\n- b^2\n", True)]
    assert "<ul>" not in render_markdown(text).html
    assert formulas("\\[\n\\sum_i x_i\n\\]") == [("\n\\sum_i x_i\n", True)]


@pytest.mark.parametrize(
    "text",
    [
        "Use `$x$` or `\\(y\\)` in code",
        "```latex\n$$E=mc^2$$\n\\(a\\)\n```",
        "Paragraph.\n\n    $x$ indented code \\[y\\]\n",
        "~~~\n$a$ and $b$\n~~~",
    ],
)
def test_math_inside_code_is_left_alone(text: str) -> None:
    rendered = render_markdown(text)
    assert rendered.formulas == []
    assert "$" in rendered.html or "\\(" in rendered.html


@pytest.mark.parametrize(
    "text",
    [
        "It costs $5.",
        "Between $5 and $10 a month.",
        "From $20-$30, or $5 and $10 each.",
        "Pay $5 and `$x$` later",
        r"Escaped \$x\$ stays dollars",
        "$ x$ and $x $ are not math",
        "$x$5 is not math",
    ],
)
def test_prices_and_escaped_dollars_are_text(text: str) -> None:
    rendered = render_markdown(text)
    assert rendered.formulas == []
    assert "$" in rendered.html
    assert "\\$" not in rendered.html  # an escaped dollar shows as a dollar


def test_an_escaped_dollar_inside_a_formula_belongs_to_it() -> None:
    assert formulas(r"Cost $a\$b$ here, $5 there") == [(r"a\$b", False)]


def test_an_open_formula_shows_its_source_until_it_closes() -> None:
    for partial in ("So \\(a^2 + b", "So \\[\\int_0^1 x^2\\,d", "$$\n\\int_0^1 x^2\\,dx"):
        rendered = render_markdown(partial)
        assert rendered.formulas == []
        source = partial.removeprefix("So ")
        assert source in rendered.html.replace("&amp;", "&")  # verbatim: no backslash eaten
    assert formulas("So \\(a^2 + b^2\\)") == [("a^2 + b^2", False)]


def test_copy_text_gives_the_latex_source_with_its_delimiters() -> None:
    html = render_markdown(REPLY, math_images=False).html
    assert "<img" not in html
    for source in (PYTHAGORAS, INTEGRAL, "$$E=mc^2$$"):
        assert source in html


def test_an_overlong_formula_is_shown_as_code() -> None:
    body = "x+" * (MAX_FORMULA_CHARS // 2 + 1)
    rendered = render_markdown(f"${body}x$")
    assert rendered.formulas == []
    assert "<code" in rendered.html and body in rendered.html


def test_math_urls_name_the_formula_and_nothing_else() -> None:
    formula = Formula(r"\frac{ü}{2}", True, "\\[", "\\]")
    assert formula_from_url(math_url(formula)) == formula
    for other in ("math:x/abc", "math:i/!!!", "thumb:abc", "math:i/" + "/" * 3):
        assert formula_from_url(other) is None


def test_exports_keep_the_math_source() -> None:
    conv = Conversation(title="Math")
    conv.messages += [Message.text(Role.USER, "Pythagoras?"), Message.text(Role.ASSISTANT, REPLY)]
    markdown = conversation_markdown(conv, "files")
    for source in (PYTHAGORAS, INTEGRAL, "$$E=mc^2$$", r"$e^{i\pi} + 1 = 0$"):
        assert source in markdown
    # The JSON export holds the text exactly as it was written.
    assert json.dumps(REPLY)[1:-1] in json.dumps(jsonformat.encode([conv]))

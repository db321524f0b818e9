"""The web router over real HTTP: the page, static files with the right types, caching and refusals."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.integration


def test_page_is_served_with_a_strict_policy(standin_server: str) -> None:
    r = httpx.get(standin_server + "/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    # Everything the page loads is local: no CDN, no absolute URL to another host.
    assert "http://" not in r.text and "https://" not in r.text
    assert 'src="static/chat/app.js"' in r.text


@pytest.mark.parametrize(
    "path, ctype",
    [
        ("/static/chat/app.js", "text/javascript"),
        ("/static/chat/mic-worklet.js", "text/javascript"),
        ("/static/chat/qr.js", "text/javascript"),
        ("/static/chat/style.css", "text/css"),
    ],
)
def test_static_files_have_their_types(standin_server: str, path: str, ctype: str) -> None:
    r = httpx.get(standin_server + path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(ctype)
    assert r.headers["cache-control"] == "no-cache"


def test_unchanged_file_revalidates_with_304(standin_server: str) -> None:
    first = httpx.get(standin_server + "/static/chat/app.js")
    again = httpx.get(
        standin_server + "/static/chat/app.js", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/static/chat/__init__.py",
        "/static/__init__.py",
        "/static/chat/../../assistant/config.py",
        "/static/%2e%2e/assistant/config.py",
        "/static/chat/nothing.js",
        "/static/chat/.hidden.js",
        "/static/",
    ],
)
def test_refuses_anything_outside_the_pages(standin_server: str, path: str) -> None:
    r = httpx.get(standin_server + path)
    assert r.status_code == 404
    assert "sqlalchemy" not in r.text.lower() and "def " not in r.text


def test_missing_file_is_a_json_error(standin_server: str) -> None:
    r = httpx.get(standin_server + "/static/chat/nothing.js")
    assert r.status_code == 404
    assert r.json() == {"error": {"code": "not_found", "message": "no such file"}}


def test_page_config_names_departments(standin_server: str) -> None:
    cfg = httpx.get(standin_server + "/api/v1/web/config").json()
    assert cfg["hospital"]["name_zh"] == "滨江示例人民医院"
    assert cfg["departments"]["cardiology"]["zh"] == "心血管内科"
    assert cfg["departments"]["cardiology"]["en"] == "Cardiology"


def test_real_app_serves_the_page(real_server: str) -> None:
    r = httpx.get(real_server + "/")
    assert r.status_code == 200 and "static/chat/app.js" in r.text
    assert httpx.get(real_server + "/static/chat/app.js").status_code == 200

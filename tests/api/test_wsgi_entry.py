"""``novajoin.wsgi.api:application`` is what uwsgi/httpd import; it must build the app."""

import importlib
import sys

import webob

from tests.api.conftest import conf_text


def test_wsgi_module_builds_the_application(fakeipa, tmp_path, monkeypatch):
    conf = tmp_path / "join.conf"
    conf.write_text(conf_text(fakeipa))
    monkeypatch.setenv("NOVAJOIN_CONFIG_FILE", str(conf))
    sys.modules.pop("novajoin.wsgi.api", None)
    module = importlib.import_module("novajoin.wsgi.api")
    resp = webob.Request.blank("/").get_response(module.application)
    assert resp.status_int == 200 and resp.json["versions"][0]["id"] == "v1"
    sys.modules.pop("novajoin.wsgi.api", None)

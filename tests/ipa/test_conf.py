"""Building the IPA client from join.conf options."""

import pytest
from oslo_config import cfg

from novajoin import conf as novajoin_conf
from novajoin import exception
from novajoin.ipa import IpaClient
from novajoin.ipa.auth import KerberosLogin, PasswordLogin


@pytest.fixture
def conf():
    c = cfg.ConfigOpts()
    novajoin_conf.register_opts(c)
    c([], default_config_files=[])
    return c


def test_defaults_are_novajoin_1x_compatible(conf):
    assert conf.keytab == "/etc/krb5.keytab"
    assert conf.cafile == "/etc/ipa/ca.crt"
    assert conf.connect_retries == 2


def test_keytab_login_by_default(conf):
    conf.set_override("url", "https://ipa.example.test/ipa/json")
    conf.set_override("keytab_principal", "nova/api.example.test@EXAMPLE.TEST")
    client = IpaClient.from_conf(conf)
    assert isinstance(client._login, KerberosLogin)
    assert client._login.principal == "nova/api.example.test@EXAMPLE.TEST"
    assert client._session_url == "https://ipa.example.test/ipa/session/json"
    assert client._login_url == "https://ipa.example.test/ipa/session/login_kerberos"
    assert client._referer == "https://ipa.example.test/ipa"


@pytest.mark.parametrize("url", ["https://IPA.Example.test:8443/ipa/json",
                                 "https://ipa.example.test:443/ipa/json",
                                 "http://ipa.example.test:8080/ipa/json"])
def test_referer_is_the_url_host_name_without_port(conf, url):
    """IPA's check is ``startswith('https://%s/ipa' % api.env.host)``, the server's
    lower-case FQDN with no port (rpcserver.py wsgi_execute; doc/freeipa-behaviour.md
    section 1). novajoin used the URL's netloc, port included."""
    conf.set_override("url", url)
    assert IpaClient.from_conf(conf)._referer == "https://ipa.example.test/ipa"


def test_url_help_says_it_must_name_a_server_by_its_own_fqdn():
    from novajoin.conf import ipa as ipa_conf

    text = " ".join(next(o for o in ipa_conf.ipa_opts if o.name == "url").help.split())
    assert "by its own fully qualified name" in text
    assert "not a VIP, a CNAME" in text


def test_password_login_when_a_password_is_set(conf):
    conf.set_override("url", "https://ipa.example.test/ipa/json")
    conf.set_override("ipa_password", "pw")
    client = IpaClient.from_conf(conf)
    assert isinstance(client._login, PasswordLogin)
    assert client._login_url.endswith("/ipa/session/login_password")


def test_missing_url_is_a_config_error(conf, tmp_path):
    with pytest.raises(exception.ConfigError, match="'url'"):
        IpaClient.from_conf(conf, ipa_default_conf=str(tmp_path / "missing.conf"))


@pytest.mark.parametrize("text,url", [
    ("[global]\nxmlrpc_uri = https://ipa1.example.test/ipa/xml\nserver = x\n",
     "https://ipa1.example.test/ipa/json"),
    ("[global]\nserver = ipa2.example.test\nrealm = EXAMPLE.TEST\n",
     "https://ipa2.example.test/ipa/json"),
])
def test_url_from_the_hosts_ipa_client_config(conf, tmp_path, text, url):
    (tmp_path / "default.conf").write_text(text)
    client = IpaClient.from_conf(conf, ipa_default_conf=str(tmp_path / "default.conf"))
    assert client.url == url


def test_domain_from_option_or_the_hosts_ipa_client_config(conf, tmp_path):
    from novajoin import core

    (tmp_path / "default.conf").write_text("[global]\ndomain = ipa.example.test\n")
    assert core.domain(conf, str(tmp_path / "default.conf")) == "ipa.example.test"
    (tmp_path / "broken.conf").write_text("not an ini file")
    with pytest.raises(exception.ConfigError, match="'domain'"):
        core.domain(conf, str(tmp_path / "broken.conf"))
    conf.set_override("domain", "set.example.test")
    assert core.domain(conf, str(tmp_path / "default.conf")) == "set.example.test"

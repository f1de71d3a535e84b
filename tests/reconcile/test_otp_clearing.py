"""How IPA lets a host's one-time password go, as the emulator must answer it.

userPassword is write-only for every caller, admins included: ``host_mod --setattr
userpassword=`` reads the entry as the caller, finds no password, and the change list is
empty (EmptyModlist 4202): the OTP stays (baseldap.py LDAPUpdate.execute, ipaldap.py
generate_modlist, install/updates/20-aci.update; doc/freeipa-behaviour.md section 5). The
old emulator deleted it, so novajoin-reconcile's fix "worked" only there. ``random=True``
replaces it; on a host that was enrolled once the new password also becomes its Kerberos
key (ipa-pwd-extop prepost.c ipapwd_pre_mod; section 6).
"""

from __future__ import annotations

import pytest
from fakeipa.commands.host import enroll_host

from novajoin import exception
from novajoin.ipa import IpaClient
from novajoin.ipa.auth import PasswordLogin
from tests.support import ADMIN_PASSWORD, DOMAIN, REALM


@pytest.fixture
def ipa(fakeipa):
    return IpaClient(fakeipa.json_url, PasswordLogin("admin", ADMIN_PASSWORD))


@pytest.mark.parametrize("setattr", ["userpassword=", "userpassword= ", " userPassword ="])
def test_an_empty_setattr_value_does_not_clear_the_otp(ipa, fakeipa, setattr):
    fqdn = f"otp.{DOMAIN}"
    ipa.call("host_add", fqdn, force=True, userpassword="Secret123")
    with pytest.raises(exception.IpaEmptyModlist):
        ipa.call("host_mod", fqdn, setattr=[setattr])
    assert ipa.call("host_show", fqdn)["result"]["has_password"] is True
    enroll_host(fakeipa.store, REALM, fqdn, "Secret123")  # the OTP still works


def test_the_password_is_never_shown(ipa):
    fqdn = f"hidden.{DOMAIN}"
    ipa.call("host_add", fqdn, force=True, userpassword="Secret123")
    entry = ipa.call("host_show", fqdn, all=True, raw=True)["result"]
    assert "userpassword" not in {k.lower() for k in entry}
    assert "Secret123" not in repr(entry)


def test_random_replaces_the_otp(ipa, fakeipa):
    fqdn = f"random.{DOMAIN}"
    ipa.call("host_add", fqdn, force=True, userpassword="Secret123")
    result = ipa.call("host_mod", fqdn, random=True)["result"]
    assert result["randompassword"] and result["has_password"] is True
    from fakeipa.commands.host import EnrollmentRefused

    with pytest.raises(EnrollmentRefused, match="Incorrect"):
        enroll_host(fakeipa.store, REALM, fqdn, "Secret123")


def test_an_otp_on_a_once_enrolled_host_becomes_its_kerberos_key(ipa, fakeipa):
    """After enrollment and host_disable the entry keeps krbPrincipalAux and its principal;
    a new password then derives krbPrincipalKey (no krbLastPwdChange). host_show hides it
    (has_keytab False while a password exists); the host can enroll again; host_disable
    removes the derived keys (raw has_keytab)."""
    fqdn = f"again.{DOMAIN}"
    ipa.call("host_add", fqdn, force=True, userpassword="Secret123")
    enroll_host(fakeipa.store, REALM, fqdn, "Secret123")
    ipa.call("host_disable", fqdn)
    ipa.call("host_mod", fqdn, userpassword="Second456")
    shown = ipa.call("host_show", fqdn)["result"]
    assert (shown["has_password"], shown["has_keytab"]) == (True, False)
    with fakeipa.store.lock:
        host = fakeipa.store.hosts[fqdn]
        assert host.has_keytab is True and host.keys_changed is None  # keys from the OTP
    enroll_host(fakeipa.store, REALM, fqdn, "Second456")
    ipa.call("host_disable", fqdn)
    ipa.call("host_mod", fqdn, userpassword="Third789")
    assert ipa.call("host_disable", fqdn)["result"] is True  # the derived keys go


def test_a_never_enrolled_host_gets_no_keys_from_its_otp(ipa, fakeipa):
    fqdn = f"fresh.{DOMAIN}"
    ipa.call("host_add", fqdn, force=True, userpassword="Secret123")
    ipa.call("host_mod", fqdn, userpassword="Other456")
    with fakeipa.store.lock:
        assert fakeipa.store.hosts[fqdn].has_keytab is False
    with pytest.raises(exception.IpaAlreadyInactive):
        ipa.call("host_disable", fqdn)


def test_clearing_an_enrolled_hosts_password_changes_nothing(ipa, fakeipa):
    fqdn = f"enrolled.{DOMAIN}"
    ipa.call("host_add", fqdn, force=True, userpassword="Secret123")
    enroll_host(fakeipa.store, REALM, fqdn, "Secret123")
    with pytest.raises(exception.IpaEmptyModlist):
        ipa.call("host_mod", fqdn, setattr=["userpassword="])
    assert ipa.call("host_show", fqdn)["result"]["has_keytab"] is True

"""How IPA clears a host's one-time password, as the emulator must answer it.

FreeIPA's ``setattr`` with an empty value (``userpassword=``) deletes the
attribute (baseldap ``_convert_2_dict``: blanks around the value are dropped,
an empty value is None, "delete"); host_mod refuses a *new* password on an
enrolled host only when given as an option, and an attribute that is not
there any more is an empty modification list.
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
def test_an_empty_setattr_value_clears_the_otp(ipa, setattr):
    fqdn = f"otp.{DOMAIN}"
    ipa.call("host_add", fqdn, force=True, userpassword="Secret123")
    entry = ipa.call("host_mod", fqdn, setattr=[setattr])["result"]
    assert (entry["has_password"], entry["has_keytab"]) == (False, False)
    with pytest.raises(exception.IpaEmptyModlist):
        ipa.call("host_mod", fqdn, setattr=[setattr])


def test_clearing_an_enrolled_hosts_password_changes_nothing(ipa, fakeipa):
    fqdn = f"enrolled.{DOMAIN}"
    ipa.call("host_add", fqdn, force=True, userpassword="Secret123")
    enroll_host(fakeipa.store, REALM, fqdn, "Secret123")
    with pytest.raises(exception.IpaEmptyModlist):
        ipa.call("host_mod", fqdn, setattr=["userpassword="])
    assert ipa.call("host_show", fqdn)["result"]["has_keytab"] is True

"""The attacks of peers-and-threats §2, each against the real code paths, each refused."""

from __future__ import annotations

import pytest

from tests.api.conftest import make_api, novajoin_user  # noqa: F401 - fixtures, shared
from tests.fuzz.ipa_watch import IpaWatch
from tests.security.helpers import SECRET, SECTIONS, Cloud, Foreign, seed_victims
from tests.support.least_privilege import fakeipa, nova_identity  # noqa: F401 - fixtures
from tests.support.messaging import neutron, nova, start_listener, topic  # noqa: F401


@pytest.fixture
def api(make_api):  # noqa: F811 - the shared fixture, configured for these tests
    return make_api(cloud=Cloud(), sections=SECTIONS, otp_secret=SECRET,
                    enrollment_recheck_interval=0)


@pytest.fixture
def foreign(api) -> Foreign:
    return seed_victims(api)


@pytest.fixture
def watch(api):
    w = IpaWatch(api.fakeipa)
    yield w
    w.close()

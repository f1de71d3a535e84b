"""The listener's tests enroll instances through the real API path first."""

from tests.api.conftest import make_api  # noqa: F401 - a fixture, shared
from tests.support.least_privilege import fakeipa, nova_identity  # noqa: F401 - fixtures
from tests.support.messaging import neutron, nova, start_listener, topic  # noqa: F401

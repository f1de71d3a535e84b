"""The fuzz tests drive the in-process API against FakeIPA, as tests/api does."""

from tests.api.conftest import make_api, novajoin_user  # noqa: F401 - fixtures, shared
from tests.support.least_privilege import fakeipa, nova_identity  # noqa: F401 - fixtures

"""The error tree: IPA's codes from the wire, and the behaviour each class carries."""

import pytest
from fakeipa import errors as emulator_errors

from novajoin import exception


@pytest.mark.parametrize("klass,kwargs,message,data", [
    (emulator_errors.IpaNotFound, {"reason": "vm1.x: host not found"}, "vm1.x: host not found",
     {"reason": "vm1.x: host not found"}),
    (emulator_errors.IpaValidationError, {"name": "password", "error": "nope"},
     "invalid 'password': nope", {"name": "password", "error": "nope"}),
    (emulator_errors.IpaAttrValueNotFound, {"attr": "A record", "value": "10.0.0.1"},
     "A record does not contain '10.0.0.1'", {"attr": "A record", "value": "10.0.0.1"}),
])
def test_emulator_wire_errors_become_the_clients_classes(klass, kwargs, message, data):
    """The emulator and the client keep separate tables; names and codes must agree."""
    wire = klass(**kwargs).to_wire()
    assert wire == {"code": klass.code, "name": klass.name, "message": message, "data": data}
    back = exception.IpaCommandError.from_wire(**wire)
    assert back.name == klass.name and back.ipa_code == klass.code
    assert type(back) is not exception.IpaCommandError
    assert (back.message, back.data) == (message, data)


def test_every_client_class_agrees_with_the_emulators_table():
    for klass in vars(exception).values():
        if isinstance(klass, type) and issubclass(klass, exception.IpaCommandError) \
                and klass.ipa_code and klass.ipa_code in emulator_errors.BY_CODE:
            assert emulator_errors.BY_CODE[klass.ipa_code].name == klass.name, klass


def test_forwarded_message_has_empty_data():
    err = exception.IpaDuplicateEntry(message='host with name "a" already exists')
    assert err.data == {}
    assert str(err) == 'host with name "a" already exists'


def test_unknown_code_keeps_code_and_name():
    err = exception.IpaCommandError.from_wire(4777, "BrandNewError", "something", {"k": "v"})
    assert type(err) is exception.IpaCommandError
    assert (err.ipa_code, err.name, err.message, err.data) == (4777, "BrandNewError",
                                                                "something", {"k": "v"})
    assert isinstance(err, exception.IpaError)


def test_codes_are_unique():
    classes = [c for c in vars(exception).values()
               if isinstance(c, type) and issubclass(c, exception.IpaCommandError)
               and c.ipa_code]
    assert len({c.ipa_code for c in classes}) == len(classes)


@pytest.mark.parametrize("klass,status,code,retryable", [
    (exception.InvalidRequest, 400, "novajoin.request.invalid", False),
    (exception.InvalidName, 400, "novajoin.name.invalid", False),
    (exception.Rejected, 400, "novajoin.ipa.rejected", False),
    (exception.PolicyForbidden, 403, "novajoin.policy.forbidden", False),
    (exception.ProjectForbidden, 403, "novajoin.metadata.forbidden", False),
    (exception.Conflict, 409, "novajoin.name.conflict", False),
    (exception.IpaBusy, 503, "novajoin.ipa.busy", True),
    (exception.IpaUnavailable, 503, "novajoin.ipa.unavailable", True),
    (exception.IpaAuthError, 503, "novajoin.ipa.unavailable", True),
    (exception.IpaACIError, 500, "novajoin.ipa.forbidden", True),
    (exception.IpaAuthorizationError, 500, "novajoin.ipa.forbidden", True),
    (exception.IpaNotFound, 503, "novajoin.ipa.unavailable", False),
    (exception.IpaNetworkError, 503, "novajoin.ipa.unavailable", True),
    (exception.IpaCertificateOperationError, 503, "novajoin.ipa.unavailable", True),
    (exception.CloudUnavailable, 503, "novajoin.openstack.unavailable", True),
    (exception.CloudMisconfigured, 500, "novajoin.openstack.forbidden", True),
    (exception.ConfigError, 500, "novajoin.config", False),
    (exception.MalformedEvent, 500, "novajoin.event.malformed", False),
    (exception.Refused, 409, "novajoin.ipa.refused", False),
])
def test_behaviour_is_read_from_the_class(klass, status, code, retryable):
    """HTTP status, stable code and requeue-or-drop come from the class, nowhere else."""
    assert (klass.http_status, klass.code, klass.retryable) == (status, code, retryable)


def test_every_novajoin_exception_lives_in_the_one_tree():
    """No module but exception.py defines an exception class of novajoin's."""
    import pathlib
    import re

    root = pathlib.Path(exception.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "exception.py":
            continue
        for m in re.finditer(r"^class (\w+)\((\w+\.)?(\w*(Error|Exception)|NovajoinError)\)",
                             path.read_text(), re.M):
            offenders.append(f"{path.relative_to(root)}: {m.group(1)}")
    assert offenders == []

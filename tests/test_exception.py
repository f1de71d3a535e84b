"""The IPA error table: wire round trips and the fallback for unknown codes."""

import pytest

from novajoin import exception


@pytest.mark.parametrize("klass,kwargs,message,data", [
    (exception.IpaNotFound, {"reason": "vm1.x: host not found"}, "vm1.x: host not found",
     {"reason": "vm1.x: host not found"}),
    (exception.IpaValidationError, {"name": "password", "error": "nope"},
     "invalid 'password': nope", {"name": "password", "error": "nope"}),
    (exception.IpaAttrValueNotFound, {"attr": "A record", "value": "10.0.0.1"},
     "A record does not contain '10.0.0.1'", {"attr": "A record", "value": "10.0.0.1"}),
])
def test_format_and_round_trip(klass, kwargs, message, data):
    err = klass(**kwargs)
    wire = err.to_wire()
    assert wire == {"code": klass.code, "name": klass.name, "message": message, "data": data}
    back = exception.IpaCommandError.from_wire(**wire)
    assert type(back) is klass
    assert (back.message, back.data) == (message, data)


def test_forwarded_message_has_empty_data():
    err = exception.IpaDuplicateEntry(message='host with name "a" already exists')
    assert err.to_wire()["data"] == {}
    assert str(err) == 'host with name "a" already exists'


def test_unknown_code_keeps_code_and_name():
    err = exception.IpaCommandError.from_wire(4777, "BrandNewError", "something", {"k": "v"})
    assert type(err) is exception.IpaCommandError
    assert (err.code, err.name, err.message, err.data) == (4777, "BrandNewError", "something",
                                                            {"k": "v"})
    assert isinstance(err, exception.IpaError)


def test_codes_are_unique():
    classes = [c for c in vars(exception).values()
               if isinstance(c, type) and issubclass(c, exception.IpaCommandError) and c.code]
    assert len({c.code for c in classes}) == len(classes)

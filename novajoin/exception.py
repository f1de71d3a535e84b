"""The one exception hierarchy of novajoin.

Foreign errors (requests, gssapi, oslo.messaging, keystoneauth) are translated
into these classes once, at the boundary where they are caught, with
``raise ... from exc``. Nothing above the boundaries sees a foreign exception.

::

    NovajoinError
     ├── ConfigError                 a setting is missing or wrong
     └── IpaError                    anything that went wrong talking to IPA
          ├── IpaUnavailable         could not reach IPA, timed out, 5xx, TLS
          │    └── IpaBusy           novajoin's cap on concurrent IPA calls is reached
          ├── IpaAuthError           IPA refused our credentials
          ├── IpaProtocolError       IPA answered something that is not JSON-RPC
          └── IpaCommandError        IPA ran the command and returned an error;
               ├── IpaNotFound        keyed by IPA's error code (``code``), with
               ├── IpaDuplicateEntry  IPA's class name (``name``), its message
               └── ...                and its ``data`` dict kept as sent.

``IpaCommandError`` subclasses mirror FreeIPA's ``ipalib.errors`` classes that
novajoin meets; the FakeIPA emulator raises the same classes, so the emulator
and the client cannot disagree on a code, a name or a message format.
"""

from __future__ import annotations

from typing import Any, ClassVar


class NovajoinError(Exception):
    """Base class: ``msg_fmt`` is filled from keyword arguments."""

    msg_fmt: ClassVar[str] = "An unknown error occurred"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        self.kwargs = kwargs
        if message is None:
            try:
                message = self.msg_fmt % kwargs
            except (KeyError, TypeError, ValueError):
                message = self.msg_fmt
        self.message = message
        super().__init__(message)


class ConfigError(NovajoinError):
    msg_fmt = "Configuration error: %(reason)s"


class IpaError(NovajoinError):
    msg_fmt = "IPA error: %(reason)s"


class IpaUnavailable(IpaError):
    """IPA could not be reached or did not answer in time; worth retrying later."""

    msg_fmt = "IPA server %(url)s is unavailable: %(reason)s"


class IpaBusy(IpaUnavailable):
    """novajoin's own cap on concurrent IPA calls is reached: back off instead of piling on."""

    msg_fmt = "IPA server %(url)s is busy: %(reason)s"


class IpaAuthError(IpaError):
    """IPA refused the credentials novajoin presented."""

    msg_fmt = "IPA refused authentication at %(url)s: %(reason)s"


class IpaProtocolError(IpaError):
    """IPA answered, but not with a JSON-RPC envelope we understand."""

    msg_fmt = "Unexpected answer from IPA at %(url)s: %(reason)s"


# Filled by IpaCommandError.__init_subclass__: IPA error code -> class.
_BY_CODE: dict[int, type[IpaCommandError]] = {}


class IpaCommandError(IpaError):
    """An error IPA returned for a command, as FreeIPA's ``ipalib.errors`` has it.

    ``code`` and ``name`` are FreeIPA's (``4001``/``NotFound``), ``message`` is
    IPA's text and ``data`` its keyword arguments. Build one from the wire with
    :meth:`from_wire`; build one to send (the emulator does) with the keyword
    arguments of ``msg_fmt``, or with ``message=`` and no data, as IPA does for
    forwarded messages.
    """

    code: ClassVar[int] = 0
    name: ClassVar[str] = "UnknownError"
    msg_fmt = "%(error)s"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.code:
            _BY_CODE[cls.code] = cls

    def __init__(self, message: str | None = None, **data: Any) -> None:
        super().__init__(message, **data)
        self.data = data
        self.code = type(self).code
        self.name = type(self).name

    @classmethod
    def from_wire(
        cls, code: int, name: str, message: str, data: dict[str, Any] | None
    ) -> IpaCommandError:
        """The exception for an ``error`` object of a JSON-RPC answer."""
        klass = _BY_CODE.get(code)
        if klass is None:
            err = IpaCommandError(message, **(data or {}))
            err.code, err.name = code, name
            return err
        return klass(message, **(data or {}))

    def to_wire(self) -> dict[str, Any]:
        """The ``error`` object IPA sends for this exception."""
        return {
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "data": {k: v if isinstance(v, int) else str(v) for k, v in self.data.items()},
        }

    @staticmethod
    def class_for(code: int) -> type[IpaCommandError] | None:
        return _BY_CODE.get(code)


# The codes and message formats are FreeIPA's (ipalib/errors.py). Only the
# classes novajoin or its emulator meet are listed; any other code still
# arrives as a plain IpaCommandError carrying its code and name.


class IpaVersionError(IpaCommandError):
    code = 901
    name = "VersionError"
    msg_fmt = "%(cver)s client incompatible with %(sver)s server at '%(server)s'"


class IpaInternalError(IpaCommandError):
    code = 903
    name = "InternalError"
    msg_fmt = "an internal error has occurred"


class IpaCommandNotFound(IpaCommandError):
    code = 905
    name = "CommandError"
    msg_fmt = "unknown command '%(name)s'"


class IpaJSONError(IpaCommandError):
    code = 909
    name = "JSONError"
    msg_fmt = "Invalid JSON-RPC request: %(error)s"


class IpaRefererError(IpaCommandError):
    code = 911
    name = "RefererError"
    msg_fmt = "Missing or invalid HTTP Referer, %(referer)s"


class IpaAuthorizationError(IpaCommandError):
    code = 2000
    name = "AuthorizationError"
    msg_fmt = "%(error)s"


class IpaACIError(IpaAuthorizationError):
    code = 2100
    name = "ACIError"
    msg_fmt = "Insufficient access: %(info)s"


class IpaZeroArgumentError(IpaCommandError):
    code = 3003
    name = "ZeroArgumentError"
    msg_fmt = "command '%(name)s' takes no arguments"


class IpaMaxArgumentError(IpaCommandError):
    code = 3004
    name = "MaxArgumentError"
    msg_fmt = "command '%(name)s' takes at most %(count)d argument(s)"


class IpaOptionError(IpaCommandError):
    code = 3005
    name = "OptionError"
    msg_fmt = "Unknown option: %(option)s"


class IpaRequirementError(IpaCommandError):
    code = 3007
    name = "RequirementError"
    msg_fmt = "'%(name)s' is required"


class IpaConversionError(IpaCommandError):
    code = 3008
    name = "ConversionError"
    msg_fmt = "invalid '%(name)s': %(error)s"


class IpaValidationError(IpaCommandError):
    code = 3009
    name = "ValidationError"
    msg_fmt = "invalid '%(name)s': %(error)s"


class IpaNotFound(IpaCommandError):
    code = 4001
    name = "NotFound"
    msg_fmt = "%(reason)s"


class IpaDuplicateEntry(IpaCommandError):
    code = 4002
    name = "DuplicateEntry"
    msg_fmt = "This entry already exists"


class IpaHostService(IpaCommandError):
    code = 4003
    name = "HostService"
    msg_fmt = "You must enroll a host in order to create a host service"


class IpaRealmMismatch(IpaCommandError):
    code = 4005
    name = "RealmMismatch"
    msg_fmt = "The realm for the principal does not match the realm for this IPA server"


class IpaAlreadyActive(IpaCommandError):
    code = 4009
    name = "AlreadyActive"
    msg_fmt = "This entry is already enabled"


class IpaAlreadyInactive(IpaCommandError):
    code = 4010
    name = "AlreadyInactive"
    msg_fmt = "This entry is already disabled"


class IpaDNSNotARecordError(IpaCommandError):
    code = 4019
    name = "DNSNotARecordError"
    msg_fmt = "Host '%(hostname)s' does not have corresponding DNS A/AAAA record"


class IpaAttrValueNotFound(IpaCommandError):
    code = 4026
    name = "AttrValueNotFound"
    msg_fmt = "%(attr)s does not contain '%(value)s'"


class IpaEmptyModlist(IpaCommandError):
    code = 4202
    name = "EmptyModlist"
    msg_fmt = "no modifications to be performed"


class IpaDatabaseError(IpaCommandError):
    code = 4203
    name = "DatabaseError"
    msg_fmt = "%(desc)s: %(info)s"


class IpaNonFatalError(IpaCommandError):
    code = 4304
    name = "NonFatalError"
    msg_fmt = "%(reason)s"


class IpaSchemaUpToDate(IpaCommandError):
    code = 4311
    name = "SchemaUpToDate"
    msg_fmt = "Schema is up to date (FP '%(fingerprint)s', TTL %(ttl)s s)"


# Classes the FakeIPA emulator raises in addition to the ones above; the
# codes, names and formats are again FreeIPA's (ipalib/errors.py).


class IpaOverlapError(IpaCommandError):
    code = 3006
    name = "OverlapError"
    msg_fmt = "overlapping arguments and options: %(names)s"


class IpaNotGroupMember(IpaCommandError):
    code = 4012
    name = "NotGroupMember"
    msg_fmt = "This entry is not a member"


class IpaAlreadyGroupMember(IpaCommandError):
    code = 4014
    name = "AlreadyGroupMember"
    msg_fmt = "This entry is already a member"


class IpaLimitsExceeded(IpaCommandError):
    code = 4204
    name = "LimitsExceeded"
    msg_fmt = "limits exceeded for this query"


class IpaObjectclassViolation(IpaCommandError):
    code = 4205
    name = "ObjectclassViolation"
    msg_fmt = "%(info)s"


class IpaOnlyOneValueAllowed(IpaCommandError):
    code = 4207
    name = "OnlyOneValueAllowed"
    msg_fmt = "%(attr)s: Only one value allowed."

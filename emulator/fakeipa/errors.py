"""The errors the emulator answers with, as FreeIPA's ``ipalib/errors.py`` defines them.

The emulator keeps its own copy of codes, names and message formats rather than
borrowing novajoin's client classes: a client and an emulator sharing one table
could never disagree, so a wrong code would go unnoticed by every test.
"""

from __future__ import annotations

from typing import Any, ClassVar


class IpaCommandError(Exception):
    """An error for the ``error`` member of a JSON-RPC answer."""

    code: ClassVar[int] = 0
    name: ClassVar[str] = "UnknownError"
    msg_fmt: ClassVar[str] = "%(error)s"

    def __init__(self, message: str | None = None, **data: Any) -> None:
        if message is None:
            try:
                message = self.msg_fmt % data
            except (KeyError, TypeError, ValueError):
                message = self.msg_fmt
        self.message = message
        self.data = data
        super().__init__(message)

    def to_wire(self) -> dict[str, Any]:
        """The ``error`` object IPA sends for this exception."""
        return {
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "data": {k: v if isinstance(v, int) else str(v) for k, v in self.data.items()},
        }


def _error(code: int, name: str, msg_fmt: str) -> type[IpaCommandError]:
    return type(f"Ipa{name}", (IpaCommandError,), {"code": code, "name": name,
                                                   "msg_fmt": msg_fmt})


IpaVersionError = _error(901, "VersionError",
                         "%(cver)s client incompatible with %(sver)s server at '%(server)s'")
IpaInternalError = _error(903, "InternalError", "an internal error has occurred")
IpaCommandNotFound = _error(905, "CommandError", "unknown command '%(name)s'")
IpaNetworkError = _error(907, "NetworkError", "cannot connect to '%(uri)s': %(error)s")
IpaJSONError = _error(909, "JSONError", "Invalid JSON-RPC request: %(error)s")
IpaRefererError = _error(911, "RefererError", "Missing or invalid HTTP Referer, %(referer)s")
IpaACIError = _error(2100, "ACIError", "Insufficient access: %(info)s")
IpaZeroArgumentError = _error(3003, "ZeroArgumentError", "command '%(name)s' takes no arguments")
IpaMaxArgumentError = _error(3004, "MaxArgumentError",
                             "command '%(name)s' takes at most %(count)d argument(s)")
IpaOptionError = _error(3005, "OptionError", "Unknown option: %(option)s")
IpaOverlapError = _error(3006, "OverlapError", "overlapping arguments and options: %(names)s")
IpaRequirementError = _error(3007, "RequirementError", "'%(name)s' is required")
IpaConversionError = _error(3008, "ConversionError", "invalid '%(name)s': %(error)s")
IpaValidationError = _error(3009, "ValidationError", "invalid '%(name)s': %(error)s")
IpaNotFound = _error(4001, "NotFound", "%(reason)s")
IpaDuplicateEntry = _error(4002, "DuplicateEntry", "This entry already exists")
IpaHostService = _error(4003, "HostService",
                        "You must enroll a host in order to create a host service")
IpaRealmMismatch = _error(4005, "RealmMismatch", "The realm for the principal does not match "
                          "the realm for this IPA server")
IpaAlreadyInactive = _error(4010, "AlreadyInactive", "This entry is already disabled")
IpaNotGroupMember = _error(4012, "NotGroupMember", "This entry is not a member")
IpaAlreadyGroupMember = _error(4014, "AlreadyGroupMember", "This entry is already a member")
IpaDNSNotARecordError = _error(4019, "DNSNotARecordError",
                               "Host '%(hostname)s' does not have corresponding DNS A/AAAA record")
IpaAttrValueNotFound = _error(4026, "AttrValueNotFound", "%(attr)s does not contain '%(value)s'")
IpaEmptyModlist = _error(4202, "EmptyModlist", "no modifications to be performed")
IpaDatabaseError = _error(4203, "DatabaseError", "%(desc)s: %(info)s")
IpaLimitsExceeded = _error(4204, "LimitsExceeded", "limits exceeded for this query")
IpaObjectclassViolation = _error(4205, "ObjectclassViolation", "%(info)s")
IpaOnlyOneValueAllowed = _error(4207, "OnlyOneValueAllowed", "%(attr)s: Only one value allowed.")
IpaCertificateOperationError = _error(4301, "CertificateOperationError",
                                      "Certificate operation cannot be completed: %(error)s")
IpaNonFatalError = _error(4304, "NonFatalError", "%(reason)s")
IpaSchemaUpToDate = _error(4311, "SchemaUpToDate",
                           "Schema is up to date (FP '%(fingerprint)s', TTL %(ttl)s s)")

BY_CODE: dict[int, type[IpaCommandError]] = {
    cls.code: cls for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, IpaCommandError) and cls.code}

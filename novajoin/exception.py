"""The one exception tree of novajoin, with behaviour attached to each class.

Every class says how each process boundary treats it, so that no boundary keeps
a list of its own:

* ``code`` — the stable error code in API answers and metrics;
* ``http_status`` — the HTTP status novajoin-server answers nova with;
* ``retryable`` — whether novajoin-notify requeues the message (an outage, or a
  fault an operator must fix, so that no delete is lost) or drops it (retrying
  cannot help);
* ``exit_code`` — what a command-line tool exits with.

Foreign errors (requests, gssapi, keystoneauth, oslo.policy, webob) are
translated into these classes once, at the boundary where they are caught,
with ``raise ... from exc``.

::

    NovajoinError                  500 novajoin.internal, not retried
     ├── ConfigError               500 novajoin.config: a setting is missing or wrong
     ├── InvalidInput              400: a caller's or tenant's value cannot be used
     │    ├── InvalidRequest       novajoin.request.invalid (nova's body)
     │    ├── RequestTooLarge      413 novajoin.request.too_large
     │    ├── RequestTimeout       408 novajoin.request.timeout
     │    ├── InvalidName          novajoin.name.invalid (names, principals, metadata)
     │    └── Rejected             novajoin.ipa.rejected (IPA refused a value)
     ├── MalformedEvent            a notification novajoin cannot read (dropped)
     │    └── UnknownVersion       an unknown major payload version
     ├── Forbidden                 403: not allowed to the caller or the project
     │    ├── PolicyForbidden      novajoin.policy.forbidden (oslo.policy)
     │    └── ProjectForbidden     novajoin.metadata.forbidden (project settings)
     ├── Conflict                  409 novajoin.name.conflict: names owned by others
     ├── Refused                   IPA refused a lifecycle change for good (dropped)
     │    └── RebuildBlocked       the host's services hold keys or certificates
     ├── IncompleteInventory       nova could not be listed completely (exit 4)
     ├── UsageError                a command line that cannot be used (exit 2)
     ├── StepFailed                a step of an administration command failed (exit 1)
     ├── Stopping                  the process is shutting down
     ├── CloudUnavailable          503 novajoin.openstack.unavailable, retried
     ├── CloudMisconfigured        500 novajoin.openstack.forbidden: OpenStack refused
     │                             novajoin's own credentials (401/403); retried, exit 2
     └── IpaError                  503 novajoin.ipa.unavailable
          ├── IpaUnavailable       could not reach IPA, timed out, 5xx, TLS; retried
          │    └── IpaBusy         503 novajoin.ipa.busy: novajoin's own cap is reached
          ├── IpaAuthError         IPA refused our credentials; retried
          ├── IpaProtocolError     IPA answered something that is not JSON-RPC; retried
          └── IpaCommandError      IPA ran the command and returned an error,
               ├── IpaNotFound     keyed by IPA's error code (``ipa_code``), with
               ├── IpaAuthorizationError  IPA's class name (``name``), its message
               │    └── IpaACIError      and its ``data`` dict kept as sent; these two:
               │                          500 novajoin.ipa.forbidden, novajoin's role
               │                          lacks a right (retried, exit 2)
               └── ...

``IpaCommandError`` subclasses mirror the FreeIPA ``ipalib.errors`` classes that
novajoin meets. The emulator keeps its own table (``fakeipa.errors``), so that a
wrong code on either side shows in the tests.
"""

from __future__ import annotations

from typing import Any, ClassVar


class NovajoinError(Exception):
    """Base class: ``msg_fmt`` is filled from keyword arguments."""

    msg_fmt: ClassVar[str] = "An unknown error occurred"
    code: ClassVar[str] = "novajoin.internal"
    http_status: ClassVar[int] = 500
    retryable: ClassVar[bool] = False
    exit_code: ClassVar[int] = 1
    # True when whoever raises it has logged it already, once per interval: the
    # boundaries (API, listener) then log each occurrence at debug level only.
    logged_at_source: ClassVar[bool] = False

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
    code = "novajoin.config"
    exit_code = 2


class InvalidInput(NovajoinError):
    """A value from the caller or the tenant that novajoin cannot use; nothing was written."""

    code = "novajoin.request.invalid"
    http_status = 400
    exit_code = 2


class InvalidRequest(InvalidInput):
    msg_fmt = "Invalid request: %(reason)s"


class RequestTooLarge(InvalidInput):
    msg_fmt = "%(reason)s"
    code = "novajoin.request.too_large"
    http_status = 413


class RequestTimeout(InvalidInput):
    """The caller did not send its whole request in time (``join_read_timeout``)."""

    msg_fmt = "%(reason)s"
    code = "novajoin.request.timeout"
    http_status = 408


class InvalidName(InvalidInput):
    """A name from nova or from instance metadata that cannot be used in IPA."""

    msg_fmt = "%(what)s %(name)r is not usable: %(reason)s"
    code = "novajoin.name.invalid"


class Rejected(InvalidInput):
    """IPA refused the request's values (e.g. a name too long for IPA)."""

    msg_fmt = "IPA refused the request: %(reason)s"
    code = "novajoin.ipa.rejected"


class MalformedEvent(NovajoinError):
    """A notification whose payload cannot be read: retrying cannot help."""

    msg_fmt = "%(event_type)s: %(reason)s"
    code = "novajoin.event.malformed"


class UnknownVersion(MalformedEvent):
    msg_fmt = "%(event_type)s: payload %(name)s %(version)s has an unknown major version"


class Forbidden(NovajoinError):
    http_status = 403
    code = "novajoin.forbidden"


class PolicyForbidden(Forbidden):
    """The caller's roles do not allow the request (oslo.policy)."""

    msg_fmt = "%(reason)s"
    code = "novajoin.policy.forbidden"


class ProjectForbidden(Forbidden):
    """The instance asks for something its project is not allowed."""

    msg_fmt = "%(reason)s"
    code = "novajoin.metadata.forbidden"


class Conflict(NovajoinError):
    """The instance's names are taken in IPA by entries it does not own."""

    msg_fmt = "%(reason)s"
    code = "novajoin.name.conflict"
    http_status = 409


class SubdomainShared(Conflict):
    """Several Keystone projects' names make one project subdomain: it is nobody's."""

    msg_fmt = ("the project subdomain %(zone)s would be shared by %(count)d Keystone projects "
               "(their names make the same DNS label): it is given to none of them until all "
               "but one are renamed")
    code = "novajoin.project.subdomain_shared"


class Refused(NovajoinError):
    """IPA refused a lifecycle change for good (conflicting entries): retrying will not help."""

    msg_fmt = "%(reason)s"
    code = "novajoin.ipa.refused"
    http_status = 409
    outcome: ClassVar[str] = "refused"  # the listener's notification outcome (metrics)


class RebuildBlocked(Refused):
    """A rebuilt instance's host cannot be reset: services on its own name hold Kerberos
    keys or certificates, and host_disable would have to remove them, which novajoin's
    IPA role may not do. Nothing was changed; an operator disables the host (see
    doc/operations.md, "A rebuild is blocked")."""

    msg_fmt = ("host %(fqdn)s cannot be reset for the rebuild: its services %(services)s "
               "hold Kerberos keys or certificates, which novajoin may not remove; an IPA "
               "admin runs 'ipa host-disable %(fqdn)s', then the instance is rebuilt again")
    code = "novajoin.ipa.rebuild_blocked"
    outcome = "blocked"


class IncompleteInventory(NovajoinError):
    """nova could not be listed completely; ``partial`` holds what was listed."""

    msg_fmt = "nova's server list is incomplete: %(reason)s"
    code = "novajoin.nova.incomplete"
    http_status = 503
    retryable = True
    exit_code = 4

    def __init__(self, partial: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.partial = partial


class UsageError(NovajoinError):
    """A command line (or a file it names) that cannot be used."""

    msg_fmt = "%(reason)s"
    code = "novajoin.usage"
    exit_code = 2


class StepFailed(NovajoinError):
    """A step of an administration command failed; the message says which and why."""

    msg_fmt = "%(reason)s"
    code = "novajoin.command.failed"


class Stopping(NovajoinError):
    """The process is shutting down: long work gives up at its next check."""

    msg_fmt = "stopping"
    code = "novajoin.stopping"


class CloudUnavailable(NovajoinError):
    """Keystone, Glance, nova or neutron could not be reached."""

    msg_fmt = "%(service)s is unavailable: %(reason)s"
    code = "novajoin.openstack.unavailable"
    http_status = 503
    retryable = True
    exit_code = 4


class CloudMisconfigured(NovajoinError):
    """Keystone, Glance or neutron refused novajoin's own ``[service_credentials]`` (401/403).

    A setting or role assignment to fix, not an outage: HTTP 500 with the reason (the
    role or permission missing), retried by the listener so that no delete is lost
    while the operator fixes it, exit 2 for the commands (as ``ConfigError``).
    """

    msg_fmt = "%(service)s refused novajoin's [service_credentials]: %(reason)s"
    code = "novajoin.openstack.forbidden"
    http_status = 500
    retryable = True
    exit_code = 2
    logged_at_source = True


class ServiceNotInCatalog(CloudMisconfigured):
    """Keystone's catalog has no endpoint of a service novajoin asks (no neutron, say).

    A deployment fact or a wrong ``[service_credentials] region_name`` /
    ``valid_interfaces``, not an outage: named as such, logged once per interval.
    """

    msg_fmt = "Keystone's catalog has no %(service)s endpoint for novajoin: %(reason)s"
    code = "novajoin.openstack.no_endpoint"


class IpaError(NovajoinError):
    msg_fmt = "IPA error: %(reason)s"
    code = "novajoin.ipa.unavailable"
    http_status = 503


class IpaUnavailable(IpaError):
    """IPA could not be reached or did not answer in time; worth retrying later."""

    msg_fmt = "IPA server %(url)s is unavailable: %(reason)s"
    retryable = True
    exit_code = 4


class IpaBusy(IpaUnavailable):
    """novajoin's own cap on concurrent IPA calls is reached: back off instead of piling on."""

    msg_fmt = "IPA server %(url)s is busy: %(reason)s"
    code = "novajoin.ipa.busy"


class IpaAuthError(IpaError):
    """IPA refused the credentials novajoin presented: an operator must fix them."""

    msg_fmt = "IPA refused authentication at %(url)s: %(reason)s"
    retryable = True
    exit_code = 3


class IpaProtocolError(IpaError):
    """IPA answered, but not with a JSON-RPC envelope we understand."""

    msg_fmt = "Unexpected answer from IPA at %(url)s: %(reason)s"
    retryable = True
    exit_code = 4


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

    ipa_code: int = 0  # a class attribute; from_wire sets it per instance for unknown codes
    name: str = "UnknownError"
    msg_fmt = "%(error)s"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.ipa_code:
            _BY_CODE[cls.ipa_code] = cls

    def __init__(self, message: str | None = None, **data: Any) -> None:
        super().__init__(message, **data)
        self.data = data

    @classmethod
    def from_wire(
        cls, code: int, name: str, message: str, data: dict[str, Any] | None
    ) -> IpaCommandError:
        """The exception for an ``error`` object of a JSON-RPC answer."""
        klass = _BY_CODE.get(code)
        if klass is None:
            err = IpaCommandError(message, **(data or {}))
            err.ipa_code, err.name = code, name
            return err
        return klass(message, **(data or {}))

    @staticmethod
    def class_for(code: int) -> type[IpaCommandError] | None:
        return _BY_CODE.get(code)


# The codes and message formats are FreeIPA's (ipalib/errors.py). Only the
# classes novajoin or its emulator meet are listed; any other code still
# arrives as a plain IpaCommandError carrying its code and name.


class IpaVersionError(IpaCommandError):
    ipa_code = 901
    name = "VersionError"
    msg_fmt = "%(cver)s client incompatible with %(sver)s server at '%(server)s'"


class IpaInternalError(IpaCommandError):
    ipa_code = 903
    name = "InternalError"
    msg_fmt = "an internal error has occurred"


class IpaCommandNotFound(IpaCommandError):
    ipa_code = 905
    name = "CommandError"
    msg_fmt = "unknown command '%(name)s'"


class IpaJSONError(IpaCommandError):
    ipa_code = 909
    name = "JSONError"
    msg_fmt = "Invalid JSON-RPC request: %(error)s"


class IpaRefererError(IpaCommandError):
    ipa_code = 911
    name = "RefererError"
    msg_fmt = "Missing or invalid HTTP Referer, %(referer)s"


class IpaNetworkError(IpaCommandError):
    """IPA could not reach a service of its own (Dogtag, for certificate revocation)."""

    ipa_code = 907
    name = "NetworkError"
    msg_fmt = "cannot connect to '%(uri)s': %(error)s"
    retryable = True


class IpaAuthorizationError(IpaCommandError):
    """novajoin's IPA role lacks a right: a misconfiguration, not an outage (HTTP 500,
    ``novajoin.ipa.forbidden``); retried by the listener so that no delete is lost while
    an operator runs novajoin-ipa-setup again or grants it."""

    ipa_code = 2000
    name = "AuthorizationError"
    msg_fmt = "%(error)s"
    code = "novajoin.ipa.forbidden"
    http_status = 500
    retryable = True
    exit_code = 2


class IpaACIError(IpaAuthorizationError):
    ipa_code = 2100
    name = "ACIError"
    msg_fmt = "Insufficient access: %(info)s"


class IpaOptionError(IpaCommandError):
    ipa_code = 3005
    name = "OptionError"
    msg_fmt = "Unknown option: %(option)s"


class IpaRequirementError(IpaCommandError):
    ipa_code = 3007
    name = "RequirementError"
    msg_fmt = "'%(name)s' is required"


class IpaConversionError(IpaCommandError):
    ipa_code = 3008
    name = "ConversionError"
    msg_fmt = "invalid '%(name)s': %(error)s"


class IpaValidationError(IpaCommandError):
    ipa_code = 3009
    name = "ValidationError"
    msg_fmt = "invalid '%(name)s': %(error)s"


class IpaNotFound(IpaCommandError):
    ipa_code = 4001
    name = "NotFound"
    msg_fmt = "%(reason)s"


class IpaDuplicateEntry(IpaCommandError):
    ipa_code = 4002
    name = "DuplicateEntry"
    msg_fmt = "This entry already exists"


class IpaHostService(IpaCommandError):
    ipa_code = 4003
    name = "HostService"
    msg_fmt = "You must enroll a host in order to create a host service"


class IpaRealmMismatch(IpaCommandError):
    ipa_code = 4005
    name = "RealmMismatch"
    msg_fmt = "The realm for the principal does not match the realm for this IPA server"


class IpaAlreadyActive(IpaCommandError):
    ipa_code = 4009
    name = "AlreadyActive"
    msg_fmt = "This entry is already enabled"


class IpaAlreadyInactive(IpaCommandError):
    ipa_code = 4010
    name = "AlreadyInactive"
    msg_fmt = "This entry is already disabled"


class IpaDNSNotARecordError(IpaCommandError):
    ipa_code = 4019
    name = "DNSNotARecordError"
    msg_fmt = "Host '%(hostname)s' does not have corresponding DNS A/AAAA record"


class IpaAttrValueNotFound(IpaCommandError):
    ipa_code = 4026
    name = "AttrValueNotFound"
    msg_fmt = "%(attr)s does not contain '%(value)s'"


class IpaAlreadyGroupMember(IpaCommandError):
    ipa_code = 4014
    name = "AlreadyGroupMember"
    msg_fmt = "This entry is already a member"


class IpaEmptyModlist(IpaCommandError):
    ipa_code = 4202
    name = "EmptyModlist"
    msg_fmt = "no modifications to be performed"


class IpaDatabaseError(IpaCommandError):
    ipa_code = 4203
    name = "DatabaseError"
    msg_fmt = "%(desc)s: %(info)s"


class IpaCertificateOperationError(IpaCommandError):
    """The CA could not revoke or remove a certificate (Dogtag down): worth retrying."""

    ipa_code = 4301
    name = "CertificateOperationError"
    msg_fmt = "Certificate operation cannot be completed: %(error)s"
    retryable = True


class IpaNonFatalError(IpaCommandError):
    ipa_code = 4304
    name = "NonFatalError"
    msg_fmt = "%(reason)s"


class IpaSchemaUpToDate(IpaCommandError):
    ipa_code = 4311
    name = "SchemaUpToDate"
    msg_fmt = "Schema is up to date (FP '%(fingerprint)s', TTL %(ttl)s s)"

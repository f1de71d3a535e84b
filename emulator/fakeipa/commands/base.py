"""The frame every emulated command shares: parameters, signatures, call context.

FreeIPA checks a call in a fixed order (too many arguments, unknown options,
overlaps, then the API version, then conversion and required values) and the
official client checks the *shape* of every answer. Both are easy to get
subtly wrong per command, so they live here once and the command modules only
declare their signatures and produce their results.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fakeipa import errors

if TYPE_CHECKING:
    from fakeipa.store import Directory

IPA_VERSION = "4.13.1"
API_VERSION = "2.257"

# Client capabilities by API version (FreeIPA ipalib/capabilities.py).
CAPABILITIES = {
    "messages": (2, 52),
    "primary_key_types": (2, 83),
    "datetime_values": (2, 84),
    "dns_name_values": (2, 88),
}
# What the server assumes for encoding when the client sent no version.
VERSION_WITHOUT_CAPABILITIES = "2.51"

# Warning messages: (code, name, format).
VERSION_MISSING = (
    13001, "VersionMissing",
    "API Version number was not sent, forward compatibility not guaranteed. "
    "Assuming server's API version, %(server_version)s",
)
SEARCH_RESULT_TRUNCATED = (
    13017, "SearchResultTruncated", "Search result has been truncated: %(reason)s")
FAILED_TO_REMOVE_HOST_DNS_RECORDS = (
    13020, "FailedToRemoveHostDNSRecords",
    "DNS record(s) of host %(host)s could not be removed. (%(reason)s)",
)
FAILED_TO_ADD_HOST_DNS_RECORDS = (
    13030, "FailedToAddHostDNSRecords",
    "The host was added but the DNS update failed with: %(reason)s",
)

# Output shapes (the exact key sets the official client insists on).
ENTRY = ("result", "value", "summary")
ENTRY_LIST = ("result", "count", "truncated", "summary")
MULTI_DELETE = ("result", "value", "summary")
BOOL_VALUE = ("result", "value", "summary")
MEMBER_CHANGE = ("result", "failed", "completed")

# FreeIPA's default search size limit (cn=ipaconfig ipasearchrecordslimit).
DEFAULT_SIZELIMIT = 100


@functools.lru_cache(maxsize=256)  # every command of a batch asks again
def parse_api_version(text: str) -> tuple[int, int] | None:
    """``"2.164"`` -> ``(2, 164)``; None when it is not a MAJOR.MINOR version."""
    match = re.fullmatch(r"(\d+)\.(\d+)", text.strip())
    if not match:
        return None
    return int(match.group(1)), int(match.group(2))


def has_capability(version: str | None, capability: str) -> bool:
    """Whether a client announcing ``version`` understands ``capability``."""
    parsed = parse_api_version(version or VERSION_WITHOUT_CAPABILITIES)
    return parsed is not None and parsed >= CAPABILITIES[capability]


class DNSName(str):
    """A DNS name value; sent as ``{"__dns_name__": ...}`` to clients >= 2.88."""

    __slots__ = ()


def generalized_time(when: datetime.datetime) -> str:
    """LDAP generalized time, as IPA stores timestamps (``20240101000000Z``)."""
    return when.astimezone(datetime.timezone.utc).strftime("%Y%m%d%H%M%SZ")


def parse_generalized_time(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc)


# --------------------------------------------------------------------------
# Parameters


_TRUTHS = {"1", "true", "yes", "on"}
_FALSEHOODS = {"0", "false", "no", "off"}
_DNS_LABEL = re.compile(r"^(\*|[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)$")


_TEXT_KINDS = frozenset({"str", "principal", "any"})


def _is_null(value: Any) -> bool:
    """ipalib treats None, "" and empty lists alike: as "no value"."""
    return value is None or value == "" or (isinstance(value, (list, tuple)) and not value)


@dataclass(frozen=True)
class Param:
    """One argument or option of a command, as FreeIPA's API.txt declares it.

    ``kind`` is one of ``str``, ``flag``, ``bool``, ``int``, ``dnsname``,
    ``principal`` or ``any``. Flags are never "missing": they default to
    ``default`` (False unless said otherwise).
    """

    name: str
    kind: str = "str"
    required: bool = False
    multivalue: bool = False
    cli_name: str | None = None
    default: Any = None
    values: tuple[str, ...] | None = None

    @property
    def label(self) -> str:
        """The name FreeIPA uses in validation errors (the CLI name)."""
        return self.cli_name or self.name

    def convert(self, value: Any) -> Any:
        """Normalise a wire value; empty values become None, as in ipalib."""
        if _is_null(value):
            return None
        if self.multivalue:
            items = value if isinstance(value, (list, tuple)) else [value]
            converted = tuple(self._scalar(v) for v in items if not _is_null(v))
            return converted or None
        return self._scalar(value)

    def _scalar(self, value: Any) -> Any:
        if type(value) is str and self.kind in _TEXT_KINDS and self.values is None:
            return value  # what _to_str, _to_principal and _to_any make of plain text
        if isinstance(value, (list, tuple)):
            raise errors.IpaConversionError(name=self.name, error="Only one value is allowed")
        converter = getattr(self, "_to_" + self.kind)
        return converter(value)

    def _to_any(self, value: Any) -> Any:
        return value

    def _to_str(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise errors.IpaConversionError(name=self.name, error="must be Unicode text")
        text = str(value)
        if self.values is not None and text not in self.values:
            allowed = ", ".join(f"'{v}'" for v in self.values)
            raise errors.IpaValidationError(name=self.label, error=f"must be one of {allowed}")
        return text

    def _to_principal(self, value: Any) -> str:
        if not isinstance(value, str):
            raise errors.IpaConversionError(name=self.name, error="must be Kerberos principal")
        return value

    def _to_bool(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        lowered = str(value).lower() if isinstance(value, (str, int)) else None
        if lowered in _TRUTHS:
            return True
        if lowered in _FALSEHOODS:
            return False
        raise errors.IpaConversionError(name=self.name, error="must be True or False")

    _to_flag = _to_bool

    def _to_int(self, value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, (str, float)) and not isinstance(value, bool):
            try:
                return int(value)
            except ValueError:
                pass
        raise errors.IpaConversionError(name=self.name, error="must be an integer")

    def _to_dnsname(self, value: Any) -> DNSName:
        if not isinstance(value, str):
            raise errors.IpaConversionError(name=self.name, error="must be DNS name")
        name = value.strip().lower()
        if name in ("@", "."):
            return DNSName(name)
        labels = name[:-1].split(".") if name.endswith(".") else name.split(".")
        if not all(_DNS_LABEL.match(label) for label in labels):
            raise errors.IpaValidationError(
                name=self.label,
                error="only letters, numbers, '_', and '-' are allowed. "
                      "DNS label may not start or end with '-'")
        return DNSName(name)


def param(spec: str, kind: str = "str", *, cli: str | None = None, default: Any = None,
          values: Iterable[str] | None = None) -> Param:
    """Build a :class:`Param` from an API.txt-style spec: ``name``, ``name?``,
    ``name*`` (optional, many) or ``name+`` (required, many)."""
    suffix = spec[-1] if spec[-1] in "?*+" else ""
    name = spec[:-1] if suffix else spec
    if kind == "flag":
        return Param(name, kind, False, False, cli, bool(default))
    return Param(name, kind, required=suffix in ("", "+"), multivalue=suffix in ("*", "+"),
                 cli_name=cli, default=default,
                 values=tuple(values) if values is not None else None)


# Options shared by many commands.
ALL = param("all", "flag")
RAW = param("raw", "flag")
NO_MEMBERS = param("no_members", "flag")
NO_MEMBERS_FIND = param("no_members", "flag", default=True)
RIGHTS = param("rights", "flag")
CONTINUE = param("continue", "flag")
PKEY_ONLY = param("pkey_only?", "flag")
SIZELIMIT = param("sizelimit?", "int")
TIMELIMIT = param("timelimit?", "int")
SETATTR = param("setattr*")
ADDATTR = param("addattr*")
DELATTR = param("delattr*")
VERSION = param("version?")
SEARCH_OPTIONS = (PKEY_ONLY, SIZELIMIT, TIMELIMIT, ALL, RAW)


# --------------------------------------------------------------------------
# Commands and calls


@dataclass(frozen=True)
class ServerEnv:
    """What the emulated server knows about itself."""

    realm: str
    domain: str
    hostname: str
    api_version: str = API_VERSION
    ipa_version: str = IPA_VERSION
    # ipaMaxHostnameLength of cn=ipaConfig (bootstrap-template.ldif: 64; config_mod
    # --maxhostname takes 64..255).
    max_hostname_length: int = 64
    # A CA (Dogtag) is installed: host_del, service_del and host_disable ask it
    # (cert_find) and revoke what it issued (doc/freeipa-behaviour.md sections 3-4).
    ca_enabled: bool = True

    @functools.cached_property  # the environment is frozen; DNs are built per entry
    def basedn(self) -> str:
        return ",".join(f"dc={part}" for part in self.domain.split("."))

    @property
    def xmlrpc_uri(self) -> str:
        return f"https://{self.hostname}/ipa/xml"


@dataclass
class Call:
    """One command execution: who runs it, at which API version, and its warnings."""

    env: ServerEnv
    store: Directory
    principal: str
    version: str
    # Runs a batch member: (method, params, version) -> output.
    execute: Callable[[Any, Any, str], dict]
    messages: list[dict] = field(default_factory=list)
    command: str = ""
    # The command's injected error code (/ipa/fake/faults "commands"), if any.
    fault: int | None = None

    def inject(self, stage: str) -> None:
        """Raise the injected error at the point of the command where FreeIPA meets it
        (doc/freeipa-behaviour.md sections 4 and 7): ``ca`` where Dogtag is asked
        (cert_find; NetworkError 907 or CertificateOperationError 4301), ``resolver``
        where host_del's updatedns asks the server's DNS resolver (InternalError 903),
        ``start`` for any other code, before the command does anything."""
        code = self.fault
        if code is None:
            return
        asks_ca = self.command in ("host_del", "service_del", "host_disable")
        where = ("ca" if code in (907, 4301) and asks_ca
                 else "resolver" if code == 903 and self.command == "host_del" else "start")
        if where != stage:
            return
        if code == 907:
            raise errors.IpaNetworkError(
                uri=f"https://{self.env.hostname}:443/ca/rest/certs/search?size=2147483647",
                error="[Errno 111] Connection refused")
        if code == 4301:
            raise errors.IpaCertificateOperationError(
                error="Unable to communicate with CMS (503)")
        klass = errors.BY_CODE.get(code, errors.IpaInternalError)
        raise klass(message=klass.msg_fmt if "%(" not in klass.msg_fmt else
                    f"injected {klass.name}")

    def capable(self, capability: str) -> bool:
        return has_capability(self.version, capability)

    def warn(self, message: tuple[int, str, str], **data: Any) -> None:
        """Attach a warning message, as IPA does for clients that understand them."""
        code, name, fmt = message
        data = {k: v if isinstance(v, int) else str(v) for k, v in data.items()}
        self.messages.append({"type": "warning", "name": name, "message": fmt % data,
                              "code": code, "data": data})

    def dn(self, *rdns: str) -> str:
        return ",".join((*rdns, self.env.basedn))


@dataclass(frozen=True)
class Command:
    """A command's signature (API 2.257) and the function that runs it."""

    name: str
    handler: Callable[..., dict]
    args: tuple[Param, ...] = ()
    options: tuple[Param, ...] = ()
    output: tuple[str, ...] = ENTRY

    @functools.cached_property  # a command's parameters never change; asked per call
    def params(self) -> tuple[Param, ...]:
        return (*self.args, *self.options, VERSION)

    @functools.cached_property
    def _names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.params)

    def bind(self, args: list, options: dict) -> dict[str, Any]:
        """Map positional and keyword values to parameters, without converting.

        Mirrors ipalib's ``args_options_2_params``: a trailing multivalue
        argument swallows the remaining positional values.
        """
        varargs = bool(self.args) and self.args[-1].multivalue
        if not varargs and len(args) > len(self.args):
            if not self.args:
                raise errors.IpaZeroArgumentError(name=self.name)
            raise errors.IpaMaxArgumentError(name=self.name, count=len(self.args))
        known = self._names
        for key in options:
            if key not in known:
                raise errors.IpaOptionError(option=key)
        bound = dict(options)
        positional: dict[str, Any] = {}
        for index, arg in enumerate(self.args):
            if index >= len(args):
                break
            if arg.multivalue:
                rest = args[index:]
                single_list = len(rest) == 1 and isinstance(rest[0], (list, tuple))
                positional[arg.name] = rest[0] if single_list else list(rest)
                break
            positional[arg.name] = args[index]
        overlap = sorted(set(positional) & set(bound))
        if overlap:
            raise errors.IpaOverlapError(names=overlap)
        bound.update(positional)
        return bound

    def convert(self, bound: dict[str, Any]) -> dict[str, Any]:
        """Convert bound values and fill defaults; only given or defaulted keys appear."""
        values: dict[str, Any] = {}
        for p in self.params:
            if p.name in bound:
                values[p.name] = p.convert(bound[p.name])
            elif p.default is not None:
                values[p.name] = p.default
        return values

    def require(self, values: dict[str, Any]) -> None:
        for p in self.params:
            if p.required and values.get(p.name) is None:
                raise errors.IpaRequirementError(name=p.name)


def command(name: str, handler: Callable[..., dict], *, args: Iterable[Param] = (),
            options: Iterable[Param] = (), output: tuple[str, ...] = ENTRY) -> Command:
    return Command(name, handler, tuple(args), tuple(options), output)


# --------------------------------------------------------------------------
# Helpers for results and *attr options


def search_limit(kw: dict[str, Any]) -> int | None:
    """The effective size limit of a ``*_find`` call; None means unlimited."""
    limit = kw.get("sizelimit")
    if limit is None:
        return DEFAULT_SIZELIMIT
    return limit if limit > 0 else None


def finish_search(call: Call, entries: list[dict], kw: dict[str, Any],
                  summary: Callable[[int], str] | None) -> dict:
    """Apply the size limit and build the ``*_find`` output."""
    limit = search_limit(kw)
    truncated = limit is not None and len(entries) > limit
    if truncated:
        entries = entries[:limit]
        call.warn(SEARCH_RESULT_TRUNCATED, reason=errors.IpaLimitsExceeded().message)
    count = len(entries)
    return {"result": entries, "count": count, "truncated": truncated,
            "summary": summary(count) if summary else None}


def plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def parse_attr_options(kw: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``setattr``/``addattr``/``delattr`` values as (operation, attr, value)."""
    operations = []
    for op in ("setattr", "addattr", "delattr"):
        for item in kw.get(op) or ():
            attr, sep, value = item.partition("=")
            if not sep or not attr.strip():
                raise errors.IpaValidationError(
                    name=op, error="Invalid format. Should be name=value")
            # Like IPA's _convert_2_dict: blanks around the value go; an empty value
            # ("attr=") means "delete the attribute" for setattr.
            operations.append((op, attr.strip().lower(), value.strip()))
    return operations


def apply_attr_options(attrs: dict[str, list[str]], kw: dict[str, Any],
                       allowed: dict[str, bool], immutable: Iterable[str] = ()) -> set[str]:
    """Apply *attr options to an entry's attributes; returns the attributes touched.

    ``allowed`` maps attribute name -> multivalued. Like the directory server,
    an attribute the object classes do not allow is an ObjectclassViolation.
    """
    touched: set[str] = set()
    replaced: set[str] = set()
    for op, attr, value in parse_attr_options(kw):
        if attr in immutable:
            raise errors.IpaACIError(info=f"{attr} is immutable")
        if attr not in allowed:
            raise errors.IpaObjectclassViolation(info=f'attribute "{attr}" not allowed')
        current = attrs.setdefault(attr, [])
        if op == "setattr":
            if attr not in replaced:
                current.clear()
                replaced.add(attr)
            if value:
                current.append(value)
        elif op == "addattr":
            if value and value not in current:
                current.append(value)
        elif value not in current:
            raise errors.IpaAttrValueNotFound(attr=attr, value=value)
        else:
            current.remove(value)
        if not allowed[attr] and len(current) > 1:
            raise errors.IpaOnlyOneValueAllowed(attr=attr)
        if not current:
            del attrs[attr]
        touched.add(attr)
    return touched

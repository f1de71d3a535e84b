"""IPA commands as values: what the domain plans and the client sends.

:class:`IpaCall` and :class:`Outcome` live here, not in the client, so that
planning code can build calls and read results without importing a transport.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from novajoin import exception
from novajoin.domain.redact import redact

# An IPA entry as a command returns it: attribute name -> values.
Entry = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class IpaCall:
    """One IPA command: what the planning layer produces and the client sends."""

    method: str
    args: tuple[Any, ...] = ()
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        return {"method": self.method, "params": [list(self.args), dict(self.options)]}

    def __repr__(self) -> str:  # the options may hold an OTP
        return f"IpaCall({self.method!r}, {self.args!r}, {redact(dict(self.options))!r})"


@dataclasses.dataclass(frozen=True)
class Outcome:
    """The result of one call of a batch: its output, or the error IPA raised."""

    call: IpaCall
    output: dict[str, Any] | None = None
    error: exception.IpaCommandError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> dict[str, Any]:
        """The output, or raise the error."""
        if self.error is not None:
            raise self.error
        assert self.output is not None
        return self.output


# Answers that mean "already as wanted" for a cleanup or a DNS change.
ALREADY = (exception.IpaNotFound, exception.IpaEmptyModlist, exception.IpaAttrValueNotFound,
           exception.IpaAlreadyInactive)

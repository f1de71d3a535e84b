"""Log lines that a caller or a tenant cannot forge.

Request paths, host names, metadata values and request ids come from callers and
tenants. A newline in one of them (``GET /x%0a<forged line>``) would start a line of
the attacker's making in the log, before authentication. :func:`setup` installs a
log record factory that escapes control characters in every argument of every log
record of the process (novajoin's and the libraries'), so each record stays one line.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from oslo_config import cfg
from oslo_log import log as oslo_log

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape(text: str) -> str:
    """``text`` with each control character written as a visible escape (``\\n``)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return escape(value) if _CONTROL.search(value) else value
    if isinstance(value, BaseException):
        text = str(value)
        return escape(text) if _CONTROL.search(text) else value
    return value


def _safe_factory(make: Any) -> Any:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        return record

    factory.novajoin_safe = True  # type: ignore[attr-defined]
    return factory


def install() -> None:
    """Escape control characters in every log record's arguments (idempotent)."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "novajoin_safe", False):
        logging.setLogRecordFactory(_safe_factory(current))


def setup(conf: cfg.ConfigOpts) -> None:
    """Logging of a novajoin process: oslo.log as configured, records made safe."""
    oslo_log.setup(conf, "novajoin")
    install()

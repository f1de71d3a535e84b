"""The host's IPA client configuration, ``/etc/ipa/default.conf``: read here and nowhere else.

novajoin 1.x took its IPA server and domain from ipalib, which reads this file
on an enrolled host; novajoin falls back to it the same way when join.conf (or
a command line) does not say.
"""

from __future__ import annotations

import configparser
import dataclasses

PATH = "/etc/ipa/default.conf"


@dataclasses.dataclass(frozen=True)
class HostConf:
    """The ``[global]`` values of an IPA client's default.conf (empty when there is none)."""

    values: dict[str, str] = dataclasses.field(default_factory=dict)
    path: str = PATH

    @classmethod
    def read(cls, path: str = PATH) -> HostConf:
        """The file's values; a missing or unreadable file names nothing."""
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path)
        except configparser.Error:
            return cls({}, path)
        return cls(dict(parser["global"]) if parser.has_section("global") else {}, path)

    def get(self, key: str) -> str | None:
        return self.values.get(key) or None

    @property
    def json_url(self) -> str | None:
        """``https://<server>/ipa/json``, from ``xmlrpc_uri`` or ``server``."""
        xmlrpc = self.get("xmlrpc_uri")
        if xmlrpc and xmlrpc.endswith("/xml"):
            return xmlrpc[: -len("/xml")] + "/json"
        server = self.get("server")
        return f"https://{server}/ipa/json" if server else None

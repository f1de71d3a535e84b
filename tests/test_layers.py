"""The layers point one way: adapters -> use cases -> the pure domain.

::

    adapters    novajoin.api, novajoin.listener, novajoin.cmd, novajoin.wsgi
       |        (and novajoin.core, the composition root that wires them)
    use cases   novajoin.describe, novajoin.enrollment, novajoin.lifecycle,
       |        novajoin.reconcile.runner
    clients     novajoin.ipa, novajoin.openstack, novajoin.cache, novajoin.metrics,
       |        novajoin.audit, novajoin.conf
    domain      novajoin.domain.*, novajoin.reconcile.compare, novajoin.exception, and the
                admin commands' planners novajoin.ipa_setup and novajoin.install:
                pure, no I/O, nothing of the layers above

Every import in a module counts, also those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "novajoin"

DOMAIN = ("novajoin.domain", "novajoin.reconcile.compare", "novajoin.exception",
          "novajoin.ipa_setup", "novajoin.install")
USE_CASES = ("novajoin.describe", "novajoin.enrollment", "novajoin.lifecycle",
             "novajoin.reconcile.runner", "novajoin.reconcile")
CLIENTS = ("novajoin.ipa", "novajoin.openstack", "novajoin.cache", "novajoin.metrics",
           "novajoin.audit", "novajoin.conf", "novajoin.logsafe")
ADAPTERS = ("novajoin.api", "novajoin.listener", "novajoin.cmd", "novajoin.wsgi",
            "novajoin.core")

# Libraries that do I/O or belong to a transport: never in the pure domain.
IO_LIBRARIES = ("requests", "requests_gssapi", "gssapi", "oslo_messaging", "webob", "cheroot",
                "oslo_config", "oslo_policy", "oslo_cache", "oslo_context", "oslo_log",
                "oslo_middleware", "keystonemiddleware", "keystoneauth1", "openstack",
                "prometheus_client", "dogpile", "socket", "subprocess", "threading", "urllib",
                "http", "os", "configparser", "logging")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    return _imports_at(path, _module_name(path))


def _imports_at(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


MODULES = {_module_name(p): _imports(p) for p in sorted(ROOT.rglob("*.py"))}


def _in(name: str, layer: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in layer)


def _novajoin_modules(imports: set[str]) -> set[str]:
    """Imported novajoin modules (``from novajoin.domain import plan`` names the module)."""
    return {i for i in imports if i.startswith("novajoin.") and
            (i in MODULES or i.rpartition(".")[0] in MODULES)}


def _offences(layer: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    out = []
    for module, imports in MODULES.items():
        if not _in(module, layer):
            continue
        for imp in sorted(_novajoin_modules(imports)):
            if _in(imp, forbidden) and not _in(imp, layer if layer is not USE_CASES else ()):
                out.append(f"{module} imports {imp}")
    return out


def test_the_layers_are_known():
    """Every module belongs to exactly one layer (a new module must be placed)."""
    layers = (DOMAIN, USE_CASES, CLIENTS, ADAPTERS)
    unplaced = [m for m in MODULES if m != "novajoin" and sum(
        _in(m, layer) and not (layer is USE_CASES and _in(m, DOMAIN)) for layer in layers) != 1]
    assert unplaced == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _in(m, DOMAIN)))
def test_the_domain_is_pure(module):
    """No I/O library and nothing of novajoin's other layers in the pure domain."""
    assert _impurities(MODULES[module]) == ([], [])


def _impurities(imports: set[str]) -> tuple[list[str], list[str]]:
    libraries = sorted(i for i in imports if i.split(".")[0] in IO_LIBRARIES)
    layers = sorted(i for i in imports if i.startswith("novajoin.") and not _in(i, DOMAIN)
                    and (i in MODULES or i.rpartition(".")[0] in MODULES))
    return libraries, layers


def test_use_cases_do_not_reach_up_to_adapters():
    assert _offences(USE_CASES, ADAPTERS) == []


def test_clients_know_no_use_case_and_no_adapter():
    assert _offences(CLIENTS, USE_CASES + ADAPTERS) == []


def test_the_shipped_package_never_imports_the_emulator():
    offenders = sorted(m for m, imports in MODULES.items()
                       if any(i == "fakeipa" or i.startswith("fakeipa.") for i in imports))
    assert offenders == []


def test_openstacksdk_is_imported_in_one_place():
    """Only :func:`novajoin.openstack.sdk` imports openstacksdk: two threads importing it
    at once (novajoin-server's start-up visibility check and the floating IP publishing
    after a first boot) left it half-initialised for good in the test suite."""
    offenders = sorted(m for m, imports in MODULES.items() if m != "novajoin.openstack"
                       and any(i.split(".")[0] == "openstack" for i in imports))
    assert offenders == []


def test_the_checks_see_a_violation(tmp_path):
    """The checker itself: a domain module importing requests or the IPA client is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("import requests\n\ndef f():\n    from novajoin.ipa import client\n")
    imports = _imports_at(bad, "novajoin.domain.bad")
    assert _impurities(imports) == (["requests"], ["novajoin.ipa", "novajoin.ipa.client"])

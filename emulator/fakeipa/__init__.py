"""FakeIPA: a FreeIPA JSON-RPC server emulator for tests, benchmarks and demos.

NOT PRODUCTION CODE. It keeps its directory in memory (optionally in a JSON
file), has one administrator password, and emulates only the commands and
behaviour novajoin depends on (see ``/work/shared/reference/ipa-contract.md``
and the module docstrings). Never point anything real at it.

Start one in-process with :class:`fakeipa.server.FakeIpaServer`, or
as a process with the ``novajoin-fakeipa`` console script.
"""

"""Real OpenStack services for the tests: Keystone, Glance and nova's vendordata client.

``services`` installs and runs them; ``fixtures`` holds the session-scoped pytest fixtures
that ``tests/conftest.py`` imports. Nothing here installs or starts anything on import.
"""

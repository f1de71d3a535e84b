"""The realstack tier: nova, placement and neutron from PyPI around novajoin (issue 13)."""

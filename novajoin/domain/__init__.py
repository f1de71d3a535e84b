"""The pure domain: decisions about names, owners, OTPs, metadata and IPA changes.

Nothing here does I/O or imports a module that does (``tests/test_layers.py``
checks it): every function takes values and returns values, so each is tested
as a table.
"""

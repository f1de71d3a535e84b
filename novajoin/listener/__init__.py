"""novajoin-notify: the oslo.messaging listener for nova and neutron events.

``events.py`` turns payloads into small typed events (and refuses malformed
ones), ``nova.py`` and ``neutron.py`` are the endpoints of each notification
family, ``service.py`` builds the listener and owns the failure policy:
acknowledge only after IPA's work is done, requeue with a growing delay when
IPA is unavailable, drop (and count) what can never be handled.
"""

"""The one catch-all of the request path: an unexpected exception becomes a JSON 500."""

from __future__ import annotations

import logging

from novajoin.api import errors

LOG = logging.getLogger(__name__)


class FaultWrapper:
    def __init__(self, application) -> None:
        self.application = application

    def __call__(self, environ, start_response):
        try:
            return self.application(environ, start_response)
        except Exception:  # noqa: BLE001 - the one catch-all, by design
            request_id = environ.get("openstack.request_id")
            LOG.exception("Unexpected error serving %s %s (request %s)",
                          environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"), request_id)
            return errors.response(500, errors.INTERNAL, "An unexpected error occurred; "
                                   "see novajoin's log", request_id)(environ, start_response)

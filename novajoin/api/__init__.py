"""novajoin-server: the DynamicJSON vendordata target nova's metadata API calls.

``deploy.py`` composes the WSGI stack, ``handler.py`` routes requests to the
handler functions (``vendordata.py``, ``versions.py``), ``request.py`` checks
nova's body, ``policies.py`` says who may call, ``errors.py`` maps novajoin's
exceptions to HTTP answers with stable codes, and ``fault.py`` is the one
catch-all for everything else.
"""

"""neutron-api's WSGI application for uWSGI, with SQLAlchemy's mappers configured at load.

neutron 29 configures its ORM mappers lazily; until something does, the first
``GET /v2.0/ports`` can fail with "Port has no attribute port_forwardings" (500).
"""

from neutron.wsgi.api import application  # noqa: F401 - what uWSGI serves
from sqlalchemy import orm

orm.configure_mappers()

"""``novajoin.wsgi.api:application`` for uwsgi, gunicorn or httpd mod_wsgi.

Importing this module builds the application; that is its only purpose.
"""

from novajoin.wsgi import init_application

application = init_application()

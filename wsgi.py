"""The WSGI entry point (gunicorn wsgi:app): the only module-level Flask app."""

from api import create_app

app = create_app()

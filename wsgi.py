"""WSGI entry point: `gunicorn wsgi:app`."""
from influencers.app import create_app

app = create_app()

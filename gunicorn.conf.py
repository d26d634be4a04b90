# `gunicorn wsgi:app` from the repository reads this file: the API's own configuration.
from influencers.serving.gunicorn_conf import *  # noqa: F401,F403

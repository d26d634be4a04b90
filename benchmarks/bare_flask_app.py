"""The ceiling ``bench_http.py`` compares the API with: a bare Flask JSON view, nothing else."""
from flask import Flask

app = Flask(__name__)


@app.get("/bare")
def bare():
    return {"id": 1, "status": "ok"}

"""What every command shares: the settings and database (:class:`Context`), and workspaces by name."""
from __future__ import annotations

import click

from influencers.config import ConfigurationError, load_settings
from influencers.db import Database


class Context:
    def __init__(self):
        try:
            self.settings = load_settings()
        except ConfigurationError as error:
            raise click.ClickException(str(error)) from None
        self._db = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.settings.database_url)
            # As the API's app factory does: a chunked run reads its broker from them (fan-out),
            # and jobs dispatched after a commit run with them.
            self._db.settings = self.settings
        return self._db


pass_context = click.make_pass_decorator(Context, ensure=True)

def workspace_id_by_name(ctx: Context, name: str) -> int:
    from influencers.workspaces import service

    with ctx.db.transaction(write=False) as session:
        try:
            return service.find_workspace(session, name).id
        except service.UnknownWorkspace:
            raise click.ClickException(
                f"no workspace named {name!r} (create it with `influencers workspace create`)") from None



"""Process set-up shared by the worker, the clock and job tests: config, engine, Redis."""

from __future__ import annotations

from api import db, extensions, wiring
from api.config import Config, init_config


def boot(config: Config | None = None) -> Config:
    config = init_config(config or Config.from_env())
    db.bind_session(db.make_engine(config.DATABASE_URL, **db.pool_settings(config)))
    extensions.init_redis(config.REDIS_URL)
    wiring.wire()
    return config

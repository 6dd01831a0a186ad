"""The Lua scripts the cache runs inside Redis, kept as `.lua` files in `cache/lua/` (package data)."""

from functools import cache
from importlib.resources import files

# Scripts over packed bucket runs: each runs after the prelude that unpacks them.
BUCKET_SCRIPTS = ("lookup", "store", "release")
PRELUDE = "buckets"


@cache
def lua_source(name: str) -> str:
    """The source of `cache/lua/<name>.lua`; a bucket script comes with the prelude it needs."""
    source = (files(__package__) / "lua" / f"{name}.lua").read_text(encoding="utf-8")
    return lua_source(PRELUDE) + source if name in BUCKET_SCRIPTS else source

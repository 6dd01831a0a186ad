"""The Lua scripts read from package data: each bucket script comes with the prelude it needs."""

from enrichment_platform.cache.scripts import BUCKET_SCRIPTS, PRELUDE, lua_source


def test_bucket_scripts_start_with_the_prelude_that_unpacks_their_arguments():
    prelude = lua_source(PRELUDE)
    assert "local function each_bucket(tag, l, s, first, count, visit)" in prelude
    for name in BUCKET_SCRIPTS:
        assert lua_source(name).startswith(prelude) and len(lua_source(name)) > len(prelude)


def test_the_shared_capacity_script_stands_alone():
    assert "local function bucket(b)" not in lua_source("reserve_capacity")
    assert "redis.call('TIME')" in lua_source("reserve_capacity")

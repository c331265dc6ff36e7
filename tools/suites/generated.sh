#!/bin/sh
# Suite "generated": src/catalog_data.h is what tools/gencatalog.lua makes of data/ now
# (it is committed, so that a build needs no Lua generator run). Run by tools/test.sh.
set -u
cd "$(dirname "$0")/../.." || exit 1
mkdir -p build
lua5.4 tools/gencatalog.lua --data data --out build/catalog_data.check.h || exit 1
cmp -s build/catalog_data.check.h src/catalog_data.h ||
  { echo "src/catalog_data.h is out of date with data/: run make and commit it"; exit 1; }
echo "generated: src/catalog_data.h is up to date with data/"

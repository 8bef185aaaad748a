#!/bin/sh
# upkeep: runs the bundled program on the Node.js runtime this package ships (no distribution has
# Node.js 24 yet). Installed as /usr/bin/upkeep by the Debian package; docs/install.md.
exec /usr/lib/upkeep/node /usr/lib/upkeep/upkeep.cjs "$@"

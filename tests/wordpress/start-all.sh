#!/usr/bin/env bash
# The test WordPress instances wparchive's tests scrape (root, Debian 12; about 30 s the first time):
#   8765  Twenty Twenty-One (classic), pretty permalinks, REST API at /wp-json/
#   8766  Twenty Twenty-Three (block theme), plain permalinks, REST API at /?rest_route=/
#   8767  Twenty Twenty-One, pretty permalinks, REST API switched off, two comments per comment page
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/up.sh" 8765 >/dev/null
WP_LOCAL_THEME=twentytwentythree WP_LOCAL_PERMALINKS=plain bash "$here/up.sh" 8766 >/dev/null
WP_LOCAL_REST=off WP_LOCAL_COMMENTS_PER_PAGE=2 bash "$here/up.sh" 8767 >/dev/null
echo "WordPress up on 127.0.0.1:8765, 8766, 8767"

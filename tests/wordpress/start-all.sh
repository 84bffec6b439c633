#!/usr/bin/env bash
# The test WordPress instances wparchive's tests scrape (root, Debian 12; about 30 s the first time):
#   8765  Twenty Twenty-One (classic), pretty permalinks, REST API at /wp-json/
#   8766  Twenty Twenty-Three (block theme), plain permalinks, REST API at /?rest_route=/
#   8767  Twenty Twenty-One, pretty permalinks, REST API switched off, two comments per comment page
#   8768  like 8765 plus 300 posts and 1,000 comments, fresh each time: the re-sync tests change it
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/up.sh" 8765 >/dev/null
WP_LOCAL_THEME=twentytwentythree WP_LOCAL_PERMALINKS=plain bash "$here/up.sh" 8766 >/dev/null
WP_LOCAL_REST=off WP_LOCAL_COMMENTS_PER_PAGE=2 bash "$here/up.sh" 8767 >/dev/null
# 8768 is changed by the re-sync tests, so it starts from a fresh database every time.
bash "$here/down.sh" 8768 --wipe >/dev/null 2>&1 || true
WP_LOCAL_BULK_POSTS=300 WP_LOCAL_BULK_COMMENTS=1000 bash "$here/up.sh" 8768 >/dev/null
WP_LOCAL_MEDIA=1 bash "$here/up.sh" 8769 >/dev/null   # real uploads (media.php): -scaled, sizes, srcset, a PDF, a 404
bash "$here/down.sh" 8773 --wipe >/dev/null 2>&1 || true  # wayback: fresh, its tests edit it between crawls
bash "$here/up.sh" 8773 >/dev/null
echo "WordPress up on 127.0.0.1:8765, 8766, 8767, 8768, 8769"

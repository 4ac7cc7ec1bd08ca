#!/usr/bin/env bash
# Refresh static/vendor (and tests/browser/vendor) from the npm packages pinned in package.json. Run by hand when a version
# changes (`make vendor`); the copied files are committed so the app runs offline with no Node.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
cp package.json "$tmp/"
(cd "$tmp" && npm install --no-audit --no-fund --silent)
nm="$tmp/node_modules"
v=static/vendor
mkdir -p $v/bootstrap $v/htmx $v/chartjs $v/cytoscape $v/tom-select $v/bootstrap-icons/fonts
cp "$nm/bootstrap/dist/css/bootstrap.min.css" "$nm/bootstrap/dist/js/bootstrap.bundle.min.js" $v/bootstrap/
cp "$nm/htmx.org/dist/htmx.min.js" $v/htmx/
cp "$nm/chart.js/dist/chart.umd.min.js" $v/chartjs/
cp "$nm/cytoscape/dist/cytoscape.min.js" $v/cytoscape/
# The people picker (kam/people.py): the complete build (its plugins included) and its Bootstrap 5 theme.
cp "$nm/tom-select/dist/js/tom-select.complete.min.js" "$nm/tom-select/dist/css/tom-select.bootstrap5.min.css" $v/tom-select/
cp "$nm/bootstrap-icons/font/bootstrap-icons.min.css" $v/bootstrap-icons/
cp "$nm/bootstrap-icons/font/fonts/"bootstrap-icons.woff* $v/bootstrap-icons/fonts/
# The source maps are not shipped: drop the comments naming them, or collectstatic's manifest
# storage (DEBUG off: `make run`, production) stops at the missing .map files.
sed -i '/^\/[/*]# sourceMappingURL=/d' $v/bootstrap/* $v/htmx/* $v/chartjs/* $v/cytoscape/* \
  $v/tom-select/* $v/bootstrap-icons/*.css
# The one vendor stylesheet the pages load: Bootstrap and its icons without the rules no template
# uses, and Tom Select's theme (bin/purge-css.mjs; tests/kam/test_static_assets.py fails when a
# template uses a class it lacks). The CSS files above stay as its input; no page links them.
cp bin/purge-css.mjs "$tmp/"
node "$tmp/purge-css.mjs" "$PWD"
# axe-core is for the browser tests only (tests/browser/test_accessibility.py), never served.
mkdir -p tests/browser/vendor
cp "$nm/axe-core/axe.min.js" tests/browser/vendor/
echo "axe-core $(node -p "require('$nm/axe-core/package.json').version")" > tests/browser/vendor/VERSIONS
for pkg in bootstrap bootstrap-icons chart.js cytoscape htmx.org tom-select; do
  echo "$pkg $(node -p "require('$nm/$pkg/package.json').version")"
done > $v/VERSIONS
rm -rf "$tmp"

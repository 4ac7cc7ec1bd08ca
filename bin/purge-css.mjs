// Bootstrap and Bootstrap Icons without the rules no page uses (run by bin/vendor.sh, which
// copies this file next to the npm packages): `node purge-css.mjs REPO CRISPY_TEMPLATES`.
// The whole Bootstrap CSS is ~230 KB, of which the app uses a small part; every page loads it
// before it can paint, so on a phone network the unused rules cost time (issue 16).
//
// A class is kept when its name appears in any file that can put it on a page: our templates,
// our JavaScript, the Python code (form widgets' attrs, classes chosen in views) and
// crispy-bootstrap5's templates (the form fields). Also kept: the state classes Bootstrap's
// JavaScript toggles on the components the app uses (alert, collapse, dropdown), and every
// theme-colour variant, as names assembled from pieces in a template
// (`text-bg-{% if … %}success`, `alert-{{ message.tags }}`) are not seen whole. A component
// used from JavaScript only would need its classes added to the safelist.
import { PurgeCSS } from "purgecss";
import { writeFileSync } from "node:fs";

const [repo, crispy] = process.argv.slice(2);
if (!repo || !crispy) throw new Error("usage: node purge-css.mjs REPO CRISPY_TEMPLATES");
const apps = "{kam,accounts,activities,plans,insights,dataio,api,demo,capture}";
const content = [
  `${repo}/templates/**/*.{html,txt}`,
  `${repo}/${apps}/**/*.py`,
  `${repo}/static/js/**/*.js`,
  `${crispy}/bootstrap5/**/*.html`,
];
// The app renders fields with `|crispy` and `as_crispy_field`, never crispy's layout objects
// for accordions, modals or tabs: their templates would keep those components' rules.
const skippedContentGlobs = [
  `${crispy}/bootstrap5/accordion*.html`,
  `${crispy}/bootstrap5/layout/{modal,tab,tab-link}.html`,
];
const colours = "primary|secondary|success|danger|warning|info|light|dark|body|white|black";
const safelist = {
  standard: [
    new RegExp(`-(${colours})(-subtle|-emphasis)?$`),
    /^(show|showing|hiding|collapse|collapsing|collapsed|fade|active|disabled|dropdown-menu-end)$/,
    /^(is-valid|is-invalid|was-validated)$/,
  ],
  // Rules Bootstrap's JavaScript relies on (`.dropdown-menu[data-bs-popper]`).
  greedy: [/data-bs-popper/],
};

// One stylesheet for both (one request before the first paint instead of two), the icons'
// font addressed from where the file lives.
const parts = [];
for (const source of ["bootstrap/bootstrap.min.css", "bootstrap-icons/bootstrap-icons.min.css"]) {
  const [result] = await new PurgeCSS().purge({
    content,
    skippedContentGlobs,
    css: [`${repo}/static/vendor/${source}`],
    safelist,
    keyframes: true,
  });
  parts.push(result.css.replaceAll('url("fonts/', 'url("bootstrap-icons/fonts/'));
}
const target = "static/vendor/bootstrap-and-icons.purged.min.css";
writeFileSync(`${repo}/${target}`, parts.join("\n"));
console.log(`${target}: ${parts.join("\n").length} bytes`);

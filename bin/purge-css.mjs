// Bootstrap and Bootstrap Icons without the rules no page uses, and Tom Select's theme, in one
// stylesheet (run by bin/vendor.sh, which
// copies this file next to the npm packages): `node purge-css.mjs REPO`.
// The whole Bootstrap CSS is ~230 KB, of which the app uses a small part; every page loads it
// before it can paint, so on a phone network the unused rules cost time (issue 16).
//
// A class is kept when its name appears in any file that can put it on a page: our templates,
// our JavaScript, the Python code (form widgets' attrs, classes chosen in views) and the form
// renderer's Jinja2 templates (the form fields, kam/jinja2). Also kept: the state classes Bootstrap's
// JavaScript toggles on the components the app uses (alert, collapse, dropdown), and every
// theme-colour variant, as names assembled from pieces in a template
// (`text-bg-{% if … %}success`, `alert-{{ message.tags }}`) are not seen whole. A component
// used from JavaScript only would need its classes added to the safelist.
import { PurgeCSS } from "purgecss";
import { readFileSync, writeFileSync } from "node:fs";

const [repo] = process.argv.slice(2);
if (!repo) throw new Error("usage: node purge-css.mjs REPO");
const apps = "{kam,accounts,activities,plans,insights,dataio,api,demo,capture}";
const content = [
  `${repo}/templates/**/*.{html,txt}`,
  `${repo}/${apps}/**/*.py`,
  `${repo}/${apps}/jinja2/**/*.html`,
  `${repo}/static/js/**/*.js`,
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

// One stylesheet for all (one request before the first paint instead of three), the icons'
// font addressed from where the file lives.
const parts = [];
for (const source of ["bootstrap/bootstrap.min.css", "bootstrap-icons/bootstrap-icons.min.css"]) {
  const [result] = await new PurgeCSS().purge({
    content,
    css: [`${repo}/static/vendor/${source}`],
    safelist,
    keyframes: true,
  });
  parts.push(result.css.replaceAll('url("fonts/', 'url("bootstrap-icons/fonts/'));
}
// And the people picker's theme (Tom Select, kam/people.py) whole: its classes are put on the
// page by its script, which the purge does not read.
parts.push(readFileSync(`${repo}/static/vendor/tom-select/tom-select.bootstrap5.min.css`, "utf8"));
const target = "static/vendor/vendor.min.css";
writeFileSync(`${repo}/${target}`, parts.join("\n"));
console.log(`${target}: ${parts.join("\n").length} bytes`);

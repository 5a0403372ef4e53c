// Renders a chart spec with its rows in Vega itself (the copies the service serves), with
// no browser, and prints what was drawn: for each mark, its type and its items' data.
//   node render_chart.mjs VENDOR_DIR < {"spec": {...}, "rows": [{...}, ...]}
import { readFileSync } from "node:fs";
import vm from "node:vm";

const vendor = process.argv[2];
// The files are UMD bundles: run as scripts they define globals, as in a page.
for (const file of ["vega-5.33.1.min.js", "vega-lite-5.23.0.min.js"]) {
  vm.runInThisContext(readFileSync(`${vendor}/${file}`, "utf8"), { filename: file });
}
const { vega, vegaLite } = globalThis;
const { spec, rows } = JSON.parse(readFileSync(0, "utf8"));
const warnings = [];
const logger = { level: () => logger, warn: (...args) => warnings.push(args.join(" ")), info() {}, debug() {}, error: (...args) => warnings.push(args.join(" ")) };
let view;
try {
  const compiled = vegaLite.compile({ ...spec, datasets: { result: rows } }, { logger }).spec;
  view = new vega.View(vega.parse(compiled), { renderer: "none", logger });
  await view.runAsync();
} catch (error) {
  process.stderr.write(`${error?.message ?? error}\n`);  // not the minified source around it
  process.exit(1);
}

const marks = [];
(function walk(node) {
  if (node.marktype && node.role === "mark") {
    marks.push({ type: node.marktype, name: node.name, data: node.items.map((item) => item.datum) });
  }
  for (const item of node.items ?? []) walk(item);
})(view.scenegraph().root);
process.stdout.write(JSON.stringify({ marks, warnings }));

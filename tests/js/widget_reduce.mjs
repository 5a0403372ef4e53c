// Runs the panel's `reduce` (widget/static/widget.js) over event sequences, as the
// browser does: each result is merged into the model before the next event.
//   node widget_reduce.mjs < [{"state": {...traits}, "events": [...]}, ...]
// prints the state each sequence ends in, as JSON.
import { readFileSync } from "node:fs";

const source = readFileSync(new URL("../../widget/static/widget.js", import.meta.url), "utf8");
// As anywidget loads it: the module's text, not a file with a package around it.
const { reduce } = await import(`data:text/javascript;base64,${Buffer.from(source).toString("base64")}`);

const runs = JSON.parse(readFileSync(0, "utf8"));
const results = runs.map(({ state, events }) => {
  const model = { ...state };
  for (const event of events) Object.assign(model, reduce((key) => model[key], event) ?? {});
  return model;
});
process.stdout.write(JSON.stringify(results));

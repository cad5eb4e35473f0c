// Bundles the viewer (our code and dagre from npm) into the files the runtime embeds in every viewer page:
// runtime/StaticFlow.Runtime/Visualization/Viewer/{viewer.js, viewer.css, graph.css}. Run `npm ci && npm run build`
// after changing src/; the outputs are committed so that building StaticFlow needs no Node.js.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";

const out = new URL("../../runtime/StaticFlow.Runtime/Visualization/Viewer/", import.meta.url);
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [new URL("src/main.js", import.meta.url).pathname],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome100", "firefox100", "safari15"],
  legalComments: "inline",
  outfile: new URL("viewer.js", out).pathname,
});
copyFileSync(new URL("src/style.css", import.meta.url), new URL("viewer.css", out));
copyFileSync(new URL("src/graph.css", import.meta.url), new URL("graph.css", out));
console.log("viewer bundled into", out.pathname);

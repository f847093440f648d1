/**
 * Preloaded by the micro runner (`bun --preload`). Micro files written against mitata directly
 * (`import { bench, run } from "mitata"`) need no change to be collected: when mitata's main
 * module loads, its `run()` is renamed and wrapped so that it measures quietly and prints the
 * runner's one MICRO_RESULT line (micro-result.ts). Everything else is mitata's own code.
 */
import { plugin } from "bun";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const resultModule = join(import.meta.dir, "micro-result.ts");

plugin({
  name: "portcullis-mitata-capture",
  setup(build) {
    build.onLoad({ filter: /[\\/]mitata[\\/]src[\\/]main\.mjs$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      if (!source.includes("export async function run(")) {
        throw new Error("mitata changed: no `export async function run(` to wrap");
      }
      const contents = `${source.replace("export async function run(", "async function mitataRun(")}
import {
  emitMicroResult as emitCaptured, fromMitata as fromCaptured,
} from ${JSON.stringify(resultModule)};
export async function run(options = {}) {
  const result = await mitataRun({ ...options, format: "quiet" });
  emitCaptured(fromCaptured(result.benchmarks, result.layout));
  return result;
}
`;
      return { contents, loader: "js" };
    });
  },
});

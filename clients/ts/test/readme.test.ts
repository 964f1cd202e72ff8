// The README's TypeScript example is examples/readme.ts (which tsc checks): keep them one.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

const ts = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

it("the README's From TypeScript example is the type-checked examples/readme.ts", () => {
  const readme = readFileSync(resolve(ts, "../../README.md"), "utf8");
  const block = /## From TypeScript[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, "README has a From TypeScript section with a ts block");
  const example = readFileSync(resolve(ts, "examples/readme.ts"), "utf8");
  const body = example.slice(example.indexOf("\nimport {") + 1);
  assert.equal(body.replace('"../src/index.js"', '"@contacthub/client"'), block);
});

// The README's shell blocks are this test: each ```sh or ```bash block runs, in order, in
// one bash shell with `set -euo pipefail`, against a hub built from this checkout on a
// fresh SQLite directory, as a newcomer would type them. The only rewrites: `make ...`
// lines are left out (the test starts the hub), and localhost:8080 becomes the test
// hub's address. A block preceded by `<!-- readme-test: skip (why) -->` is not run.
//
// Every curl answer is logged; the test fails on a command that fails, on any 5xx, and
// on any 4xx whose status the block does not itself mention (the README's deliberate
// refusals say their code next to the command), so a walk-through that rots fails here.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, it } from "node:test";
import { fileURLToPath } from "node:url";
import { startHub, type Hub } from "./hub.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const ivrToken = "ivr-token-0123456789abcdef"; // the README's IVR block sends this one

interface Block { line: number; text: string }

/** The README's runnable shell blocks, with the line each starts on. */
export function shellBlocks(readme: string): Block[] {
  const lines = readme.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash)\s*$/.test(lines[i]!)) continue;
    let prev = i - 1;
    while (prev >= 0 && lines[prev]!.trim() === "") prev--;
    const skip = prev >= 0 && /^<!-- readme-test: skip/.test(lines[prev]!);
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    if (!skip) blocks.push({ line: start + 1, text: lines.slice(start, end).join("\n") });
    i = end;
  }
  return blocks;
}

let hub: Hub;
let work: string;
before(async () => {
  hub = await startHub({ CONTACTHUB_IVR_TOKEN: ivrToken });
  work = mkdtempSync(join(tmpdir(), "contacthub-readme-"));
  mkdirSync(join(work, "bin"));
  symlinkSync(hub.bin, join(work, "bin", "contacthub"));
});
after(async () => {
  await hub?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

it("runs every shell block of README.md against a live hub", (t) => {
  const blocks = shellBlocks(readFileSync(join(repoRoot, "README.md"), "utf8"));
  assert.ok(blocks.length >= 10, `only ${blocks.length} shell blocks found`);
  const log = join(work, "answers.log");
  const address = hub.baseUrl.replace(/^http:\/\//, "");
  const script = [
    "set -euo pipefail",
    // curl as the README calls it, logging each answer's status for the checks below.
    `curl() { local out args="$*"; out=$(command curl -sS -w '\\n%{http_code}' "$@") || { echo "curl could not reach the hub: $*" >&2; return 1; }; ` +
      `echo "$README_BLOCK \${out##*$'\\n'} \${args//$'\\n'/ }" >> ${JSON.stringify(log)}; printf '%s\\n' "\${out%$'\\n'*}"; }`,
    ...blocks.map((b, n) => [
      `README_BLOCK=${n}; echo "--- README line ${b.line}" >&2`,
      b.text.split("\n").filter((l) => !/^\s*make\s/.test(l)).join("\n").replaceAll("localhost:8080", address),
    ].join("\n")),
  ].join("\n");
  writeFileSync(join(work, "readme.sh"), script);
  const run = spawnSync("bash", ["readme.sh"], {
    cwd: work, encoding: "utf8", timeout: 120_000,
    env: { ...process.env, CONTACTHUB_DATA_DIR: hub.dataDir, PATH: process.env.PATH ?? "" },
  });
  // README_TEST_OUT=file keeps what the blocks printed, to compare with the README's samples.
  if (process.env.README_TEST_OUT) writeFileSync(process.env.README_TEST_OUT, run.stdout);
  assert.equal(run.status, 0, `the README's shell blocks stopped (exit ${run.status}):\n${run.stderr.slice(-3000)}`);

  const answers = readFileSync(log, "utf8").trim().split("\n").map((l) => {
    const [block, status, ...args] = l.split(" ");
    return { block: blocks[Number(block)]!, status: Number(status), call: args.join(" ") };
  });
  const byStatus: Record<number, number> = {};
  for (const a of answers) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
  t.diagnostic(`${blocks.length} blocks, ${answers.length} calls; answers by status: ${JSON.stringify(byStatus)}`);
  for (const a of answers.filter((x) => x.status >= 400)) t.diagnostic(`README line ${a.block.line}: ${a.status}`);
  assert.ok(answers.length >= 40, `only ${answers.length} calls were made`);
  const wrong = answers.filter((a) => a.status >= 500 || a.status === 0 ||
    (a.status >= 400 && !a.block.text.includes(String(a.status))));
  assert.deepEqual(wrong.map((a) => `README line ${a.block.line}: ${a.status} for curl ${a.call.slice(0, 160)}`), []);
});

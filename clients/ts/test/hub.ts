// A real hub for the tests: the Go binary built from this checkout (or CONTACTHUB_BIN),
// on a fresh SQLite data directory, on a free loopback port; tokens minted by
// `contacthub token` with that directory's development key.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

export interface Hub {
  baseUrl: string;
  /** The hub binary, and its data directory (where its development signing key lives). */
  bin: string;
  dataDir: string;
  token(...args: string[]): string;
  stop(): Promise<void>;
}

let built: string | undefined;

function binary(dir: string): string {
  if (process.env.CONTACTHUB_BIN) return process.env.CONTACTHUB_BIN;
  if (!built) {
    built = join(dir, "contacthub");
    execFileSync("go", ["build", "-o", built, "./cmd/contacthub"], {
      cwd: repoRoot,
      env: { ...process.env, CGO_ENABLED: "0" },
      stdio: ["ignore", "inherit", "inherit"],
    });
  }
  return built;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

/** Starts a hub; extra environment (e.g. CONTACTHUB_CORS_ORIGINS) is passed through. */
export async function startHub(env: Record<string, string> = {}): Promise<Hub> {
  const dataDir = mkdtempSync(join(tmpdir(), "contacthub-ts-"));
  const bin = binary(dataDir);
  const port = await freePort();
  const hubEnv = { ...process.env, CONTACTHUB_DATA_DIR: dataDir, CONTACTHUB_ADDR: `127.0.0.1:${port}`, DATABASE_URL: "", CONTACTHUB_LOG_LEVEL: "error", ...env };
  const proc: ChildProcess = spawn(bin, ["serve"], { env: hubEnv, stdio: ["ignore", "ignore", "inherit"] });
  let exited = false;
  proc.once("exit", () => { exited = true; });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error("the hub exited while starting");
    try {
      if ((await fetch(`${baseUrl}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) { proc.kill("SIGKILL"); throw new Error("the hub did not become ready in 30 s"); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    baseUrl,
    bin,
    dataDir,
    token: (...args) => execFileSync(bin, ["token", ...args], { env: hubEnv, encoding: "utf8" }).trim(),
    stop: async () => {
      if (!exited) {
        const done = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGTERM");
        await done;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

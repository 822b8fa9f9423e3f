// Starts a real Carelake server for the browser tests: a fresh data folder in the temp directory, a free port,
// generated patients imported with the CLI, and a few known records the tests look for.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export function carelakeBinary(): string {
  if (process.env.CARELAKE_BIN) return process.env.CARELAKE_BIN;
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../src/Carelake/bin");
  const candidates = ["Release", "Debug"].map((c) => join(root, c, "net10.0", "Carelake"));
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`No Carelake executable in ${candidates.join(" or ")}: build it first (dotnet build src/Carelake) or set CARELAKE_BIN.`);
  return found;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface RunningServer {
  url: string;
  dataDir: string;
  process: ChildProcess;
  stop: () => Promise<void>;
}

export async function startServer(options: { dev: boolean; demo?: boolean; patients: number; adminToken?: string; env?: Record<string, string> }): Promise<RunningServer> {
  const bin = carelakeBinary();
  const dataDir = mkdtempSync(join(tmpdir(), "carelake-e2e-"));
  const env: NodeJS.ProcessEnv = { ...process.env, DOTNET_NOLOGO: "1", Carelake__DemoPatients: String(options.patients), Logging__LogLevel__Default: "Warning" };
  if (options.adminToken) env.Carelake__AdminToken = options.adminToken;
  Object.assign(env, options.env);
  if (!options.demo) {
    const gen = join(dataDir, "gen");
    for (const args of [
      ["generate", "--patients", String(options.patients), "--seed", "7", "--out", gen],
      ["import", gen, "--data-dir", join(dataDir, "db")],
    ]) {
      const r = spawnSync(bin, args, { env, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`carelake ${args[0]} failed (${r.status}): ${r.stderr || r.stdout}`);
    }
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = ["serve", "--data-dir", join(dataDir, "db"), "--urls", url];
  if (options.dev) args.push("--dev");
  if (options.demo) args.push("--demo");
  const child = spawn(bin, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`carelake serve exited with ${child.exitCode}:\n${output}`);
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok && (!options.demo || (output.includes("Demo data:") && (options.dev || (output.includes("Demo accounts") && existsSync(join(dataDir, "db", "demo-credentials.txt"))))))) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`carelake serve did not become ready in 120 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    dataDir,
    process: child,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      if (!process.env.CARELAKE_E2E_KEEP) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

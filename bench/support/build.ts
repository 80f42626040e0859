// Compiles the bench's gateway process (bench/support/gateway-process.ts and
// what it imports: src/, test/support, test/fixtures) with tsc into .tmp/, as
// `npm run build` would, so a child gateway runs plain JS: its peak RSS and
// CPU profile are the gateway's, not tsx's compiler's. A build is made from
// this checkout ("after") or from a git revision ("before"), so one bench run
// can measure both side by side.

import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = new URL("../../", import.meta.url).pathname;
/** Per bench process, so that two benches can run at once. */
export const BUILD_DIR = join(ROOT, ".tmp", "bench-build", String(process.pid));
const GATEWAY_PROCESS = "bench/support/gateway-process.ts";

export interface Build {
  readonly name: string;
  /** The compiled gateway process: `node <script> --prometheus URL ...`. */
  readonly script: string;
}

/**
 * Builds `name` from `revision` (a git revision's src/ and test/, with this
 * checkout's gateway process, so both builds take the same flags) or, for
 * null, from the working tree.
 */
export function buildGateway(name: string, revision: string | null): Build {
  const out = join(BUILD_DIR, name);
  let source = ROOT;
  if (revision !== null) {
    source = join(BUILD_DIR, `${name}-source`);
    rmSync(source, { recursive: true, force: true });
    mkdirSync(source, { recursive: true });
    const archive = execFileSync("git", ["archive", "--format=tar", revision, "src", "test/support", "test/fixtures", "package.json"], {
      cwd: ROOT,
      maxBuffer: 1 << 30,
    });
    execFileSync("tar", ["-x", "-C", source], { input: archive });
    mkdirSync(join(source, "bench", "support"), { recursive: true });
    cpSync(join(ROOT, GATEWAY_PROCESS), join(source, GATEWAY_PROCESS));
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const tsconfig = join(out, "..", `${name}.tsconfig.json`);
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(ROOT, "tsconfig.json"),
      compilerOptions: { noEmit: false, outDir: out, rootDir: source, typeRoots: [join(ROOT, "node_modules/@types")], sourceMap: false },
      files: [join(source, GATEWAY_PROCESS)],
      include: [],
    }),
  );
  execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", tsconfig], { cwd: ROOT, stdio: "inherit" });
  // src/cli/version.ts reads ../../package.json; node_modules resolve from ROOT upwards.
  cpSync(join(source, "package.json"), join(out, "package.json"));
  return { name, script: join(out, GATEWAY_PROCESS.replace(/\.ts$/, ".js")) };
}

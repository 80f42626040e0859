// How quick `meshql --help` is: the real binary against bare `node -e 0` (the
// floor), interleaved, order rotating each round. Wall time, and CPU time (user +
// sys, from /usr/bin/time), which a loaded machine inflates far less.
// node --import tsx bench/cli-help.ts [--runs N]
import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../bin/meshql.js", import.meta.url));
const runsFlag = process.argv.indexOf("--runs");
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 15;

const contenders: Record<string, string[]> = {
  "node -e 0": ["-e", "0"],
  "meshql --help": [BIN, "--help"],
  "meshql stat --help": [BIN, "stat", "--help"],
};
const samples = new Map(Object.keys(contenders).map((k) => [k, { wall: [] as number[], cpu: [] as number[] }]));

function sample(args: string[]): { wall: number; cpu: number } {
  const started = performance.now();
  const r = spawnSync("/usr/bin/time", ["-f", "%U %S", process.execPath, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "ignore", "pipe"],
  });
  const wall = performance.now() - started;
  if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  const [user, sys] = r.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
  return { wall, cpu: (user! + sys!) * 1000 };
}

const names = Object.keys(contenders);
for (let round = 0; round < RUNS; round++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + round) % names.length]!;
    const s = sample(contenders[name]!);
    samples.get(name)!.wall.push(s.wall);
    samples.get(name)!.cpu.push(s.cpu);
  }
}

const rank = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)]!;
const floor = samples.get("node -e 0")!;
console.log(
  `${cpus().length} CPUs, node ${process.version}, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}; ${RUNS} runs each`,
);
console.log("| command | wall median | wall p90 | CPU median | CPU vs node -e 0 |\n| --- | --- | --- | --- | --- |");
for (const [name, s] of samples) {
  console.log(
    `| ${name} | ${rank(s.wall, 0.5).toFixed(0)} ms | ${rank(s.wall, 0.9).toFixed(0)} ms | ${rank(s.cpu, 0.5).toFixed(0)} ms | ` +
      `${(rank(s.cpu, 0.5) / Math.max(1, rank(floor.cpu, 0.5))).toFixed(1)}x |`,
  );
}

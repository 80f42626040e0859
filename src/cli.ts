#!/usr/bin/env node
// The `meshql` command. This file only declares commands and flags (commander);
// each command's module is imported when it runs, so `--help` loads nothing heavy.

import { Command, CommanderError, Option } from "commander";
import { CliError, EXIT } from "./cli/errors.ts";
import { type FlagSpec, KUBE_FLAGS, SERVE_FLAGS, UsageError, type FlagValues } from "./cli/options.ts";
import type { EdgesFlags } from "./cli/edges.ts";
import type { StatFlags } from "./cli/stat.ts";
import type { TopFlags } from "./cli/top.ts";
import { version } from "./cli/version.ts";

const CLIENT_HELP = {
  server: "URL of a running meshql gateway (env MESHQL_SERVER, default http://127.0.0.1:8080)",
  kubeconfig:
    "kubeconfig whose current context's credentials (bearer token or client certificate) are sent to the gateway (else " +
    "$KUBECONFIG; none: anonymous)",
};

/** Flags every client command (stat, edges, top) takes. */
function clientFlags(cmd: Command): Command {
  return cmd
    .option("--server <url>", CLIENT_HELP.server)
    .option("--kubeconfig <file>", CLIENT_HELP.kubeconfig)
    .option("--context <name>", "kubeconfig context to use instead of the current one")
    .option("--insecure-skip-tls-verify", "do not verify the gateway's HTTPS certificate")
    .option("-n, --namespace <ns>", "namespace (default: default)")
    .option("-t, --time-window <window>", "window of the metrics, e.g. 30s, 5m, 1h", "1m")
    .option("--at <time>", "end of the window, RFC 3339 (default: now)");
}

/** serve's flags: SERVE_FLAGS and KUBE_FLAGS as data, so new entries there show up here. */
function serveFlags(cmd: Command): Command {
  for (const [name, f] of Object.entries(SERVE_FLAGS) as Array<[string, FlagSpec]>) {
    const option = new Option(`--${name} <value>`, `${f.help} (env ${f.env}, default ${f.default || "none"})`);
    // A repeated flag arrives as its environment variable holds it: one value per line.
    if (f.repeatable)
      option.argParser((value: string, previous: string | undefined) => (previous === undefined ? value : `${previous}\n${value}`));
    cmd.addOption(option);
  }
  const kube = "Kubernetes options (as an extension API server; kube-apiserver's names):";
  for (const [name, help] of Object.entries(KUBE_FLAGS)) cmd.addOption(new Option(`--${name} <value>`, help).helpGroup(kube));
  return cmd;
}

/** serve's flags by their names on the command line ("prometheus-url"), as parseServeOptions reads them. */
function flagValues(cmd: Command): FlagValues {
  return Object.fromEntries(
    cmd.options.map((o) => {
      const v: unknown = cmd.getOptionValue(o.attributeName());
      return [o.name(), typeof v === "string" ? v : undefined];
    }),
  );
}

function program(): Command {
  const root = new Command("meshql")
    .description("One API for the golden metrics of a service mesh: GraphQL and SMI Traffic Metrics over Prometheus.")
    .version(version(), "--version", "print the version")
    .helpOption("-h, --help", "show help")
    .showHelpAfterError(false)
    .configureOutput({ outputError: (text, write) => write(`meshql: ${text.replace(/^error: /, "").trim()} (see meshql --help)\n`) })
    .exitOverride()
    .addHelpText(
      "after",
      `
Examples:
  meshql demo                                   everything on loopback, then:
  meshql stat deploy -n emojivoto -t 5m         golden metrics of each deployment
  meshql stat deploy/web -n emojivoto --to deploy/emoji
  meshql edges deploy -n emojivoto              who calls whom, with mTLS
  meshql check --prometheus-url http://prometheus:9090
Exit codes: 0 ok, 1 usage (or a failed check), 2 gateway, backend or credentials.`,
    );

  serveFlags(
    root
      .command("serve")
      .summary("serve GraphQL, SMI REST, probes and /metrics")
      .description("serve /graphql, /apis/metrics.smi-spec.io, /healthz, /readyz and /metrics"),
  ).action(async (_: unknown, cmd: Command) => {
    const { serve } = await import("./cli/serve.ts");
    await serve(flagValues(cmd));
  });

  root
    .command("demo")
    .summary("run Prometheus, traffic and the gateway on loopback")
    .description("run Prometheus, a live traffic generator and the gateway on loopback, with no cluster")
    .option("--mesh <mesh>", "whose metric names the traffic generator writes: linkerd, istio or consul", "linkerd")
    .option("--listen <host:port>", "where the gateway and console listen", "127.0.0.1:8080")
    .action(async (opts: { mesh: string; listen: string }) => {
      const { runDemo } = await import("./demo/demo.ts");
      await runDemo(opts);
    });

  serveFlags(
    root
      .command("check")
      .summary("check the backend, mesh metrics and cluster setup")
      .description("check the backend, the mesh metrics and the cluster setup, as serve would use them"),
  ).action(async (_: unknown, cmd: Command) => {
    const { check } = await import("./cli/check/command.ts");
    await check(flagValues(cmd));
  });

  clientFlags(root.command("stat").summary("golden metrics of resources (linkerd viz stat)"))
    .description(
      "golden metrics of resources, as `linkerd viz stat`: meshql stat deploy -n emojivoto; meshql stat deploy/web --to deploy/emoji",
    )
    .argument("<kind[/name]>", "kind (deploy, po, sts, ds, job, rs, ns; singular, plural or short), optionally /name")
    .argument("[name]", "name of one resource")
    .option("-l, --selector <selector>", "label selector, as kubectl's (needs a gateway with a cluster connection)")
    .option("-A, --all-namespaces", "every namespace")
    .option("--to <resource>", "only traffic from the resource to this one, e.g. deploy/emoji")
    .option("--to-namespace <ns>", "namespace of --to (default: the resource's)")
    .option("--from <resource>", "only traffic from this resource to the resource")
    .option("--from-namespace <ns>", "namespace of --from (default: the resource's)")
    .addOption(new Option("-o, --output <format>", "output format").choices(["table", "wide", "json", "yaml"]).default("table"))
    .action(async (target: string, name: string | undefined, opts: StatFlags) => {
      const { stat } = await import("./cli/stat.ts");
      await stat(target, name, opts);
    });

  clientFlags(root.command("edges").summary("traffic between resources, with mTLS (linkerd viz edges)"))
    .description("traffic between resources, with mTLS, as `linkerd viz edges`: meshql edges deploy -n emojivoto")
    .argument("<kind[/name]>", "kind, optionally /name to show one resource's edges")
    .argument("[name]", "name of one resource")
    .option("-A, --all-namespaces", "every namespace")
    .addOption(new Option("-o, --output <format>", "output format").choices(["table", "wide", "json", "yaml"]).default("table"))
    .action(async (target: string, name: string | undefined, opts: EdgesFlags) => {
      const { edges } = await import("./cli/edges.ts");
      await edges(target, name, opts);
    });

  clientFlags(root.command("top").summary("live traffic of a namespace, redrawn in place"))
    .description("live traffic between the workloads of a namespace, busiest first; redraws in place, q quits")
    .argument("[kind]", "kind of the workloads", "deploy")
    .option("--interval <duration>", "how often to refresh", "2s")
    .option("-A, --all-namespaces", "every namespace")
    .action(async (kind: string, opts: TopFlags) => {
      const { top } = await import("./cli/top.ts");
      await top(kind, opts);
    });

  root
    .command("version")
    .description("print the version")
    .action(() => {
      process.stdout.write(`meshql ${version()}\n`);
    });
  return root;
}

async function main(argv: string[]): Promise<void> {
  // `meshql stat ... | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => process.exit(e.code === "EPIPE" ? EXIT.ok : EXIT.backend));
  const root = program();
  if (argv.length === 0) {
    root.outputHelp();
    process.exitCode = EXIT.usage;
    return;
  }
  await root.parseAsync(argv, { from: "user" });
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof CommanderError) {
    // commander printed the message already (help and --version exit 0).
    process.exit(e.exitCode === 0 ? 0 : EXIT.usage);
  }
  if (e instanceof UsageError) {
    console.error(`meshql: ${e.message} (see meshql --help)`);
    process.exit(EXIT.usage);
  }
  if (e instanceof CliError) {
    console.error(`meshql: ${e.message}`);
    process.exit(e.exitCode);
  }
  console.error(`meshql: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(EXIT.backend);
});

// The console page: controls (namespaces, window, time travel, auto-refresh,
// search) kept in the URL's hash, the graph, and the details panel.
// Auto-refresh follows the `graph` subscription; only when its WebSocket
// fails does the page poll the `graph` query instead. Time travel shows one
// moment, without live updates.

import "./styles.css";
import { type Answer, ApiError, oneError } from "./answers.ts";
import { fetchGraph, fetchNamespaces, type GraphQuery, subscribeGraph } from "./api.ts";
import { renderDetails, sparklineData } from "./details.ts";
import type { Graph } from "./graph.ts";
import { createGraphView, type Selection } from "./graph-view.ts";
import { measureLatest } from "./timing.ts";

const WINDOWS = ["30s", "1m", "5m", "15m", "30m", "1h", "6h", "1d"] as const;
const REFRESH_MS = 10_000;

interface State {
  namespaces: string[];
  window: string;
  /** ISO time, or null for now. */
  at: string | null;
  refresh: boolean;
  search: string;
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function readState(): State {
  const p = new URLSearchParams(location.hash.slice(1));
  const window = p.get("window") ?? "1m";
  return {
    namespaces: (p.get("ns") ?? "").split(",").filter(Boolean),
    window: (WINDOWS as readonly string[]).includes(window) ? window : "1m",
    at: p.get("at") || null,
    refresh: p.get("refresh") !== "off",
    search: p.get("q") ?? "",
  };
}

function writeState(s: State): void {
  const p = new URLSearchParams({ ns: s.namespaces.join(","), window: s.window });
  if (s.at) p.set("at", s.at);
  if (!s.refresh) p.set("refresh", "off");
  if (s.search) p.set("q", s.search);
  history.replaceState(null, "", `#${p.toString()}`);
}

async function main(): Promise<void> {
  const state = readState();
  let graph: Graph | null = null;
  /** What the backend failed to answer of the graph drawn: its numbers there are null, shown as "–". */
  let graphErrors: readonly ApiError[] = [];
  let selection: Selection = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopLive: (() => void) | null = null;
  /** Why the WebSocket failed: from then on this page polls instead. */
  let socketFailed: string | null = null;
  let loading = 0;
  let liveEvents = 0;

  const status = $("status");
  const details = $("details");
  const query = (): GraphQuery => ({ namespaces: state.namespaces, window: state.window, at: state.at });
  const showDetails = () => renderDetails(details, { graph, selection, query: query() });
  const view = createGraphView($("graph"), (s) => {
    selection = s;
    showDetails();
  });
  // A handle for tests and the render bench: where to click, what is drawn, and when drawing is done.
  Object.assign(window, {
    meshqlConsole: { nodePosition: view.nodePosition, edgeMidpoint: view.edgeMidpoint, drawn: view.drawn, sparklines: sparklineData },
  });

  const setStatus = (text: string, error = false) => {
    status.textContent = text;
    status.classList.toggle("error", error);
  };
  const updates = (): string => {
    if (state.at) return "time travel: live updates paused";
    if (!state.refresh) return "auto-refresh off";
    if (socketFailed) return `polling every ${REFRESH_MS / 1000}s (${socketFailed})`;
    return `live: ${liveEvents} update${liveEvents === 1 ? "" : "s"} over WebSocket`;
  };
  const showError = (what: string, e: unknown) => {
    const code = e instanceof ApiError && e.code ? ` (${e.code})` : "";
    setStatus(`${what}: ${e instanceof Error ? e.message : String(e)}${code}`, true);
  };

  const showSummary = (g: Graph) => {
    const when = new Date(g.timestamp).toLocaleString();
    const idle = g.nodes.filter((n) => n.idle).length;
    const summary = `${g.nodes.length} nodes (${idle} idle), ${g.edges.length} edges · window ${g.window} ending ${when} · ${updates()}`;
    if (graphErrors.length === 0) return setStatus(summary);
    const e = oneError(graphErrors);
    setStatus(`${summary} · partly unanswered: ${e.message}${e.code ? ` (${e.code})` : ""}`, true);
  };

  /** Draws a graph, partial or not, unless a newer load began meanwhile; false when it was dropped. */
  const draw = async ({ data: next, errors }: Answer<Graph>, mine: number): Promise<boolean> => {
    if (mine !== loading) return false;
    const fetched = performance.now();
    await view.show(next);
    if (mine !== loading) return false;
    graph = next;
    graphErrors = errors;
    measureLatest("meshql:draw", fetched);
    if (state.search) view.search(state.search);
    showDetails();
    showSummary(next);
    document.body.dataset.rendered = String(next.nodes.length);
    return true;
  };

  /** Auto-refresh over the `graph` subscription: each event is drawn when it differs from the last one drawn. */
  const live = (mine: number): void => {
    setStatus("Connecting…");
    let drawnRaw = "";
    let pending: { graph: Answer<Graph>; raw: string } | null = null;
    let drawing = false;
    const drain = async () => {
      if (drawing) return;
      drawing = true;
      try {
        while (pending && mine === loading) {
          const next = pending;
          pending = null;
          if (next.raw !== drawnRaw && (await draw(next.graph, mine))) drawnRaw = next.raw;
        }
      } catch (e) {
        if (mine === loading) showError("Could not draw the live graph", e);
      }
      drawing = false;
      if (mine !== loading) return;
      // An event without news is not drawn again, but it is counted.
      if (graph && !status.classList.contains("error")) showSummary(graph);
      document.body.dataset.liveEvents = String(liveEvents);
    };
    stopLive = subscribeGraph(query(), {
      next: (next, raw) => {
        if (mine !== loading) return;
        liveEvents++;
        pending = { graph: next, raw };
        void drain();
      },
      error: (e) => {
        if (mine === loading) showError("The live graph has an error", e);
      },
      failed: (reason) => {
        if (mine !== loading) return;
        socketFailed = reason;
        stopLive = null;
        void load();
      },
      finished: () => {
        if (mine !== loading) return;
        stopLive = null;
        // The event before it said why (FORBIDDEN, shown); otherwise say so here.
        if (!status.classList.contains("error")) setStatus("The gateway ended the live graph: change the view to follow it again.", true);
      },
    });
  };

  const load = async (): Promise<void> => {
    const mine = ++loading;
    if (timer) clearTimeout(timer);
    stopLive?.();
    stopLive = null;
    writeState(state);
    if (state.namespaces.length === 0) {
      setStatus("Choose at least one namespace.");
      return;
    }
    if (state.refresh && !state.at && !socketFailed) return live(mine);
    setStatus("Loading…");
    const started = performance.now();
    try {
      if (await draw(await fetchGraph(query()), mine)) measureLatest("meshql:graph", started);
    } catch (e) {
      if (mine === loading) showError("Could not load the graph", e);
    }
    if (mine === loading && state.refresh && !state.at) timer = setTimeout(() => void load(), REFRESH_MS);
  };

  // Controls.
  const windowSelect = $<HTMLSelectElement>("window");
  windowSelect.replaceChildren(...WINDOWS.map((w) => new Option(w, w, false, w === state.window)));
  windowSelect.addEventListener("change", () => {
    state.window = windowSelect.value;
    void load();
  });

  const atInput = $<HTMLInputElement>("at");
  const showAt = () => {
    atInput.value = state.at ? toLocalInput(new Date(state.at)) : "";
    $("now").toggleAttribute("disabled", state.at === null);
  };
  showAt();
  atInput.addEventListener("change", () => {
    state.at = atInput.value ? new Date(atInput.value).toISOString() : null;
    showAt();
    void load();
  });
  $("now").addEventListener("click", () => {
    state.at = null;
    showAt();
    void load();
  });

  const refresh = $<HTMLInputElement>("refresh");
  refresh.checked = state.refresh;
  refresh.addEventListener("change", () => {
    state.refresh = refresh.checked;
    void load();
  });

  const search = $<HTMLInputElement>("search");
  search.value = state.search;
  search.addEventListener("input", () => {
    state.search = search.value;
    writeState(state);
    const hits = view.search(state.search);
    $("search-hits").textContent = state.search ? `${hits} found` : "";
  });

  let all: string[];
  try {
    all = await fetchNamespaces();
  } catch (e) {
    setStatus(`Could not list namespaces: ${e instanceof Error ? e.message : String(e)}`, true);
    return;
  }
  if (state.namespaces.length === 0) state.namespaces = all.length <= 5 ? all : all.slice(0, 1);
  renderNamespacePicker(all, state.namespaces, (chosen) => {
    state.namespaces = chosen;
    void load();
  });
  await load();
}

function renderNamespacePicker(all: readonly string[], chosen: readonly string[], onChange: (chosen: string[]) => void): void {
  const list = $("namespace-list");
  const summary = $("namespace-summary");
  const boxes = all.map((ns) => {
    const box = Object.assign(document.createElement("input"), { type: "checkbox", value: ns, checked: chosen.includes(ns) });
    const label = document.createElement("label");
    label.append(box, ` ${ns}`);
    list.append(label);
    return box;
  });
  const update = () => {
    const picked = boxes.filter((b) => b.checked).map((b) => b.value);
    summary.textContent = picked.length === 0 ? "none" : picked.join(", ");
    return picked;
  };
  update();
  for (const box of boxes) box.addEventListener("change", () => onChange(update()));
}

/** A Date as the value of an <input type="datetime-local">, in local time. */
function toLocalInput(d: Date): string {
  const local = new Date(d.getTime() - d.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 19);
}

void main();

// The console page: controls (namespaces, window, time travel, auto-refresh,
// search) kept in the URL's hash, the graph, and the details panel.

import "./styles.css";
import { ApiError, fetchGraph, fetchNamespaces } from "./api.ts";
import { renderDetails } from "./details.ts";
import type { Graph } from "./graph.ts";
import { createGraphView, type Selection } from "./graph-view.ts";

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
  let selection: Selection = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let loading = 0;

  const status = $("status");
  const details = $("details");
  const view = createGraphView($("graph"), (s) => {
    selection = s;
    renderDetails(details, graph, selection);
  });
  // A handle for tests and the render bench: where to click, and when drawing is done.
  Object.assign(window, { meshqlConsole: { nodePosition: view.nodePosition, edgeMidpoint: view.edgeMidpoint, drawn: view.drawn } });

  const setStatus = (text: string, error = false) => {
    status.textContent = text;
    status.classList.toggle("error", error);
  };

  const load = async (): Promise<void> => {
    const mine = ++loading;
    if (timer) clearTimeout(timer);
    writeState(state);
    if (state.namespaces.length === 0) {
      setStatus("Choose at least one namespace.");
      return;
    }
    setStatus("Loading…");
    const started = performance.now();
    try {
      const next = await fetchGraph({ namespaces: state.namespaces, window: state.window, at: state.at });
      if (mine !== loading) return;
      graph = next;
      const fetched = performance.now();
      await view.show(graph);
      performance.measure("meshql:draw", { start: fetched, end: performance.now() });
      if (mine !== loading) return;
      if (state.search) view.search(state.search);
      renderDetails(details, graph, selection);
      const when = graph.timestamp ? new Date(graph.timestamp).toLocaleString() : "–";
      const idle = graph.nodes.filter((n) => n.idle).length;
      setStatus(`${graph.nodes.length} nodes (${idle} idle), ${graph.edges.length} edges · window ${graph.window} ending ${when}`);
      document.body.dataset.rendered = String(graph.nodes.length);
      performance.measure("meshql:graph", { start: started, end: performance.now() });
    } catch (e) {
      if (mine !== loading) return;
      const code = e instanceof ApiError && e.code ? ` (${e.code})` : "";
      setStatus(`Could not load the graph: ${e instanceof Error ? e.message : String(e)}${code}`, true);
    }
    if (state.refresh && !state.at) timer = setTimeout(() => void load(), REFRESH_MS);
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

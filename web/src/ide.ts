// The offline GraphQL IDE served at GET /graphql: GraphiQL 5 with the explorer
// and history plugins, every asset bundled. Requests go to this gateway's own
// /graphql with whatever credentials the browser or the front proxy adds.

import "graphiql/setup-workers/vite";
import "graphiql/style.css";
import "@graphiql/plugin-explorer/style.css";
import { explorerPlugin } from "@graphiql/plugin-explorer";
import { HISTORY_PLUGIN } from "@graphiql/plugin-history";
import { GraphiQL, type GraphiQLProps } from "graphiql";
import { createElement } from "react";
import { createRoot } from "react-dom/client";

/** The example operations a newcomer can run at once, with variables for the demo. */
const EXAMPLES = import.meta.glob<string>(["../../docs/operations/*.graphql", "../../test/operations/*.graphql"], {
  query: "?raw",
  import: "default",
  eager: true,
});
const EXAMPLE_VARIABLES = JSON.stringify({ namespace: "emojivoto", kind: "DEPLOYMENT", name: "web", window: "1m" }, null, 2);

const fetcher: GraphiQLProps["fetcher"] = async (params, options) => {
  const response = await fetch(new URL("graphql", document.baseURI), {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...(options?.headers ?? {}) },
    body: JSON.stringify(params),
    credentials: "same-origin",
  });
  return response.json();
};

const defaultTabs = Object.entries(EXAMPLES)
  .sort(([a], [b]) => Number(b.includes("/docs/")) - Number(a.includes("/docs/")) || a.localeCompare(b))
  .map(([, query]) => ({ query, variables: EXAMPLE_VARIABLES }));

createRoot(document.getElementById("ide")!).render(
  createElement(GraphiQL, {
    fetcher,
    defaultTabs,
    // The first tab's editors start from these (the tabs' own variables apply when one is opened).
    initialQuery: defaultTabs[0]?.query ?? "",
    initialVariables: EXAMPLE_VARIABLES,
    plugins: [HISTORY_PLUGIN, explorerPlugin()],
    defaultEditorToolsVisibility: "variables",
  }),
);

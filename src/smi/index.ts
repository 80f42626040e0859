// The SMI Traffic Metrics REST API (metrics.smi-spec.io/v1alpha1). See README.md.
export { registerSmi, smiFrameworkErrors, type SmiDeps } from "./plugin.ts";

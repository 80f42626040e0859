// The mesh formats the generator can write, by mesh name.

import type { MeshName } from "../../mesh/adapter.ts";
import type { MeshFormat } from "./format.ts";
import { consul } from "./consul.ts";
import { istio } from "./istio.ts";
import { linkerd } from "./linkerd.ts";

const FORMATS: Partial<Record<MeshName, MeshFormat>> = { linkerd, istio, consul };

export function demoFormats(): MeshName[] {
  return (Object.keys(FORMATS) as MeshName[]).filter((m) => FORMATS[m] !== undefined);
}

export function demoFormat(mesh: MeshName): MeshFormat {
  const format = FORMATS[mesh];
  if (!format) throw new Error(`the traffic generator does not write ${mesh} metrics`);
  return format;
}

// Kubernetes name validation (DNS-1123). Every name from a user passes here
// before it may reach a backend query.

import { InvalidInputError } from "./errors.ts";

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_MAX = 63;
const SUBDOMAIN_MAX = 253;

function describe(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}

/** A DNS-1123 label: namespaces. */
export function validateLabelName(field: string, value: string): string {
  if (value.length === 0 || value.length > LABEL_MAX || !LABEL.test(value)) {
    throw new InvalidInputError(
      field,
      `${field} ${describe(value)} is not a valid DNS-1123 label: at most ${LABEL_MAX} characters of lower-case a-z, 0-9 and ` +
        "'-', starting and ending with an alphanumeric",
    );
  }
  return value;
}

/** A DNS-1123 subdomain: pods, deployments and the other workloads. */
export function validateSubdomainName(field: string, value: string): string {
  const ok =
    value.length > 0 && value.length <= SUBDOMAIN_MAX && value.split(".").every((part) => part.length <= LABEL_MAX && LABEL.test(part));
  if (!ok) {
    throw new InvalidInputError(
      field,
      `${field} ${describe(value)} is not a valid DNS-1123 subdomain: at most ${SUBDOMAIN_MAX} characters of lower-case a-z, ` +
        "0-9, '-' and '.', each dot-separated part starting and ending with an alphanumeric",
    );
  }
  return value;
}

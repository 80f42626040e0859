// Node health from the success rate, with Kiali's default thresholds for
// server errors: any failure is degraded, 10% or more is failure.

export type Health = "healthy" | "degraded" | "failure" | "idle";

export interface HealthThresholds {
  /** Failure ratio above which a node is degraded (Kiali: 0). */
  readonly degraded: number;
  /** Failure ratio at or above which a node has failed (Kiali: 0.10). */
  readonly failure: number;
}

export const KIALI_THRESHOLDS: HealthThresholds = { degraded: 0, failure: 0.1 };

export function healthOf(successRate: number | null | undefined, t: HealthThresholds = KIALI_THRESHOLDS): Health {
  if (successRate == null) return "idle";
  const failures = 1 - successRate;
  // 1 - 0.9 is 0.0999…98 in floating point; a rate of exactly 90% is 10% failures.
  if (failures >= t.failure - 1e-12) return "failure";
  if (failures > t.degraded) return "degraded";
  return "healthy";
}

/** Kiali-like colours; idle is grey because there is nothing to judge. */
export const HEALTH_COLOURS: Readonly<Record<Health, string>> = {
  healthy: "#3e8635",
  degraded: "#f0ab00",
  failure: "#c9190b",
  idle: "#8a8d90",
};

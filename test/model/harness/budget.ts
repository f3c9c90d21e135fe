// budget.ts — how many executions a model test explores, from the one stress variable:
// SABRE_STRESS=light (default: the given light count, a few seconds per protocol),
// heavy (CI: at least 100 000 executions per protocol), or a number (a multiplier of light).
import { stressMultiplier } from "../../fixtures/stress-level";

export const HEAVY_EXECUTIONS = 100_000;

export function modelExecutions(light: number): number {
  if ((process.env.SABRE_STRESS ?? "light") === "heavy") return Math.max(HEAVY_EXECUTIONS, light);
  return Math.max(1, Math.round(light * stressMultiplier()));
}

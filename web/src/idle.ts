// Idle logoff: after IDLE_TIMEOUT without keyboard, pointer or scroll activity the session ends; a warning with a
// countdown shows WARNING_BEFORE earlier. Activity in any tab of the app counts (shared through localStorage).

export const DEFAULT_IDLE_TIMEOUT_MS = 15 * 60 * 1000;
export const DEFAULT_WARNING_MS = 2 * 60 * 1000;
const ACTIVITY_KEY = "carelake.lastActivity";
const TIMEOUT_KEY = "carelake.idleTimeoutSeconds";

export type IdlePhase = { phase: "active" } | { phase: "warning"; secondsLeft: number } | { phase: "expired" };

export function idlePhase(lastActivity: number, now: number, timeoutMs: number, warningMs: number): IdlePhase {
  const left = lastActivity + timeoutMs - now;
  if (left <= 0) return { phase: "expired" };
  if (left <= warningMs) return { phase: "warning", secondsLeft: Math.ceil(left / 1000) };
  return { phase: "active" };
}

/** The idle timeout: 15 minutes, or the number of seconds an administrator (or a test) put in localStorage. */
export function idleSettings(): { timeoutMs: number; warningMs: number } {
  const configured = Number(window.localStorage.getItem(TIMEOUT_KEY));
  const timeoutMs = Number.isFinite(configured) && configured > 0 ? configured * 1000 : DEFAULT_IDLE_TIMEOUT_MS;
  return { timeoutMs, warningMs: Math.min(DEFAULT_WARNING_MS, timeoutMs / 2) };
}

export function recordActivity(now: number = Date.now()): void {
  window.localStorage.setItem(ACTIVITY_KEY, String(now));
}

export function lastActivity(): number {
  const value = Number(window.localStorage.getItem(ACTIVITY_KEY));
  return Number.isFinite(value) && value > 0 ? value : Date.now();
}

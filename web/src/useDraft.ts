// Form drafts that survive the session ending mid-edit: a 401 (or a failed renewal) replaces the app with the
// sign-in screen, and after signing in again the app returns to the same page — with what was typed, from
// sessionStorage (this tab only). Secrets (passwords, client secrets) are never written; signing out clears drafts.
import { useEffect, useRef, useState } from "react";

const PREFIX = "carelake.draft.";

function without<T extends object>(value: T, secret: readonly (keyof T)[]): Partial<T> {
  const copy: Partial<T> = { ...value };
  for (const key of secret) delete copy[key];
  return copy;
}

export function useDraft<T extends object>(key: string, initial: T, secret: readonly (keyof T)[] = []) {
  const storageKey = PREFIX + key;
  const [restored] = useState<T | undefined>(() => {
    try {
      const raw = window.sessionStorage.getItem(storageKey);
      return raw ? ({ ...initial, ...(JSON.parse(raw) as Partial<T>) } as T) : undefined;
    } catch {
      return undefined;
    }
  });
  const [value, setValue] = useState<T>(restored ?? initial);
  const [wasRestored, setWasRestored] = useState(restored !== undefined);
  const empty = useRef(JSON.stringify(without(initial, secret)));
  useEffect(() => {
    const kept = JSON.stringify(without(value, secret));
    try {
      if (kept === empty.current) window.sessionStorage.removeItem(storageKey);
      else window.sessionStorage.setItem(storageKey, kept);
    } catch {
      // Storage full or disabled: the form still works, the draft just does not survive.
    }
  }, [value, storageKey, secret]);
  const clear = () => {
    window.sessionStorage.removeItem(storageKey);
    setValue(initial);
    setWasRestored(false);
  };
  return { value, setValue, clear, restored: wasRestored };
}

/** Forgets every draft of this tab (on sign-out). */
export function clearDrafts(): void {
  for (const key of Object.keys(window.sessionStorage)) {
    if (key.startsWith(PREFIX)) window.sessionStorage.removeItem(key);
  }
}

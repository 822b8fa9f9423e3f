import { useEffect } from "react";

/** The browser tab's title (announced by screen readers on navigation): "Page · Carelake". */
export function useTitle(title: string | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} · Carelake` : "Carelake";
  }, [title]);
}

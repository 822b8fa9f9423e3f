import { useEffect, useState } from "react";
import { bundleLink, bundleResources, fhirGet, type Bundle, type Resource } from "./fhir";

export interface PagedState<T> {
  items: T[];
  total?: number;
  loading: boolean;
  error?: unknown;
  /** True when maxItems stopped the loading before the last page. */
  truncated: boolean;
}

/**
 * Follows a search's "next" links page by page, publishing each page as it arrives (the view renders the first
 * page while the rest loads). Stops at maxItems; aborts when the URL changes or the view goes away.
 */
export function useAllPages<T extends Resource>(url: string | undefined, maxItems: number): PagedState<T> {
  const [state, setState] = useState<PagedState<T>>({ items: [], loading: true, truncated: false });
  useEffect(() => {
    if (!url) return;
    const controller = new AbortController();
    setState({ items: [], loading: true, truncated: false });
    (async () => {
      let next: string | undefined = url;
      let items: T[] = [];
      let total: number | undefined;
      try {
        while (next) {
          const bundle: Bundle<T> = await fhirGet<Bundle<T>>(next, controller.signal);
          total ??= bundle.total;
          items = items.concat(bundleResources(bundle));
          next = bundleLink(bundle, "next");
          const truncated = next !== undefined && items.length >= maxItems;
          if (truncated) next = undefined;
          setState({ items, total, loading: next !== undefined, truncated });
        }
      } catch (error) {
        if (!controller.signal.aborted) setState({ items, total, loading: false, error, truncated: false });
      }
    })();
    return () => controller.abort();
  }, [url, maxItems]);
  return state;
}

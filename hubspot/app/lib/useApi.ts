/** A GET that a component renders from: loading, error (as an ApiError) or the data, plus a reload. */
import { useCallback, useEffect, useState } from 'react';
import { apiRequest, toApiError, type ApiError } from './api';

export type Loadable<T> =
  { state: 'loading' } | { state: 'error'; error: ApiError } | { state: 'ready'; data: T };

export function useApiGet<T>(path: string | null): Loadable<T> & { reload: () => void } {
  const [result, setResult] = useState<Loadable<T>>({ state: 'loading' });
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);

  useEffect(() => {
    if (path === null) return;
    let current = true;
    apiRequest<T>(path)
      .then((data) => current && setResult({ state: 'ready', data }))
      .catch((error: unknown) => current && setResult({ state: 'error', error: toApiError(error) }));
    return () => {
      // A newer request (or an unmount) wins; a late answer from an old one is dropped.
      current = false;
    };
  }, [path, generation]);

  return { ...result, reload };
}

/** Runs `tick` now and every `intervalMs` while `active`; stops on unmount. */
export function usePolling(tick: () => Promise<boolean | void>, intervalMs: number, active: boolean): void {
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      const done = await tick();
      if (!stopped && done !== true) timer = setTimeout(() => void run(), intervalMs);
    };
    void run();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [tick, intervalMs, active]);
}

import { useEffect, useRef, useState } from 'react';

/**
 * How often the live training chart redraws. A plotly redraw costs 50–100 ms of main-thread time here
 * (mostly measuring tick labels); at 500 ms the two loss charts took a third of a 2-core machine from training.
 */
export const CHART_REFRESH_MS = 1000;

/** The comparison chart spans whole runs: a redraw every few seconds is enough while one trains. */
export const COMPARE_CHART_REFRESH_MS = 3000;

/**
 * `value`, but changing at most once every `intervalMs` (the latest value always lands, late by at most
 * the interval). Charts redraw thousands of points: redrawing them on every progress message would keep
 * the main thread busy; a person cannot tell a chart refreshed four times a second from one refreshed ten.
 */
export function useThrottled<T>(value: T, intervalMs: number): T {
  const [shown, setShown] = useState(value);
  const lastRef = useRef(0);
  useEffect(() => {
    const wait = lastRef.current + intervalMs - performance.now();
    if (wait <= 0) {
      lastRef.current = performance.now();
      setShown(value);
      return;
    }
    const timer = setTimeout(() => {
      lastRef.current = performance.now();
      setShown(value);
    }, wait);
    return () => clearTimeout(timer);
  }, [value, intervalMs]);
  return shown;
}

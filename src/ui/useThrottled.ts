import { useEffect, useRef, useState } from 'react';

/** How often live charts redraw. */
export const CHART_REFRESH_MS = 500;

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

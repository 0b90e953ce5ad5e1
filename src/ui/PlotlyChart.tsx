import { useEffect, useRef } from 'react';
import type { Data, Layout, PlotMouseEvent } from 'plotly.js-dist-min';

type PlotlyModule = typeof import('plotly.js-dist-min');

let plotlyPromise: Promise<PlotlyModule> | null = null;
/** plotly is large: load it once, on first use, in its own chunk. */
export function loadPlotly(): Promise<PlotlyModule> {
  plotlyPromise ??= import('plotly.js-dist-min').then((module) => ('default' in module ? (module.default as PlotlyModule) : module));
  return plotlyPromise;
}

/** Shared look: the page's font, transparent backgrounds. */
export const BASE_LAYOUT: Partial<Layout> = {
  font: { family: 'Inter, system-ui, sans-serif', size: 12 },
  paper_bgcolor: 'rgba(0,0,0,0)',
  plot_bgcolor: 'rgba(0,0,0,0)',
};

/** Point events of a chart: the index of the point in its trace. */
export interface PointHandlers {
  onHover?(pointIndex: number, curveNumber: number): void;
  onClick?(pointIndex: number, curveNumber: number): void;
}

/**
 * A plotly chart updated in place with `Plotly.react` whenever `data` or `layout` change (callers memoise
 * them), so live updates do not rebuild the DOM. Point handlers are bound once and always call the
 * latest callbacks.
 */
export function PlotlyChart({
  data,
  layout,
  label,
  testId,
  handlers,
}: {
  data: Data[];
  layout: Partial<Layout>;
  label: string;
  testId?: string;
  handlers?: PointHandlers;
}) {
  const divRef = useRef<HTMLDivElement>(null);
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;
  const boundRef = useRef(false);
  useEffect(() => {
    let cancelled = false;
    void loadPlotly().then(async (Plotly) => {
      const div = divRef.current;
      if (cancelled || !div) return;
      const plot = await Plotly.react(div, data, { ...BASE_LAYOUT, ...layout }, { displaylogo: false, responsive: true, modeBarButtonsToRemove: ['select2d', 'lasso2d'] });
      if (boundRef.current || !handlersRef.current) return;
      boundRef.current = true;
      const first = (event: PlotMouseEvent) => event.points[0];
      plot.on('plotly_hover', (event: PlotMouseEvent) => {
        const point = first(event);
        if (point) handlersRef.current?.onHover?.(point.pointIndex, point.curveNumber);
      });
      plot.on('plotly_click', (event: PlotMouseEvent) => {
        const point = first(event);
        if (point) handlersRef.current?.onClick?.(point.pointIndex, point.curveNumber);
      });
    });
    return () => {
      cancelled = true;
    };
  }, [data, layout]);
  return <div ref={divRef} className="chart" data-testid={testId} aria-label={label} role="img" />;
}

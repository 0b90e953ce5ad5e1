import { useEffect, useRef } from 'react';
import type { Config, Data, Layout, PlotMouseEvent } from 'plotly.js-dist-min';

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

/**
 * Chart options shared by every chart. The mode bar keeps what people use here — zoom, pan, reset the axes,
 * download a PNG — and nothing that offers to upload the chart or edit it elsewhere (the page promises that no
 * data leaves it); no plotly logo. Resizing is handled by PlotlyChart's ResizeObserver, not plotly's window
 * listener, which misses a container that changes width without the window doing so.
 */
export const CHART_CONFIG = {
  displaylogo: false,
  showSendToCloud: false,
  plotlyServerURL: '',
  responsive: false,
  modeBarButtons: [['zoom2d', 'pan2d', 'resetScale2d', 'toImage']],
  toImageButtonOptions: { format: 'png', filename: 'autoencoder-playground', scale: 2 },
} satisfies Partial<Config>;

/** Pixels above the plot area kept for the mode bar (its buttons are 26 px tall, 2 px from the top). */
const MODE_BAR_SPACE = 32;

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
      // The mode bar appears over the top-right corner: a top margin at least its height keeps it off the
      // plot, colour bars and legends.
      const margin = { ...layout.margin, t: Math.max(layout.margin?.t ?? 0, MODE_BAR_SPACE) };
      const plot = await Plotly.react(div, data, { ...BASE_LAYOUT, ...layout, margin }, CHART_CONFIG);
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
  useEffect(() => {
    const div = divRef.current;
    if (!div || typeof ResizeObserver === 'undefined') return;
    // Re-layout whenever the chart's box changes width (window resize, a grid that wraps at phone width):
    // plotly sizes a chart, its margins and its legend only when asked. Once per frame at most.
    let frame = 0;
    let width = div.clientWidth;
    const observer = new ResizeObserver(() => {
      if (div.clientWidth === width) return;
      width = div.clientWidth;
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        if (!plotlyPromise || !div.isConnected || !div.classList.contains('js-plotly-plot')) return;
        void plotlyPromise.then((Plotly) => Plotly.Plots.resize(div));
      });
    });
    observer.observe(div);
    return () => {
      cancelAnimationFrame(frame);
      observer.disconnect();
    };
  }, []);
  return <div ref={divRef} className="chart" data-testid={testId} aria-label={label} role="img" />;
}

import { useEffect, useRef } from 'react';
import type { RunState } from '../state/app-state';
import { emaSmooth } from './smoothing';

type PlotlyModule = typeof import('plotly.js-dist-min');

let plotlyPromise: Promise<PlotlyModule> | null = null;
/** plotly is large: load it once, on first use, in its own chunk. */
export function loadPlotly(): Promise<PlotlyModule> {
  plotlyPromise ??= import('plotly.js-dist-min').then((module) => ('default' in module ? (module.default as PlotlyModule) : module));
  return plotlyPromise;
}

/**
 * Loss per batch (raw and smoothed) and per epoch (train and test MSE), against epochs, on a log axis —
 * losses fall by two orders of magnitude, and a log scale keeps the late progress visible.
 */
export function LossChart({ run }: { run: RunState }) {
  const divRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let cancelled = false;
    void loadPlotly().then((Plotly) => {
      const div = divRef.current;
      if (cancelled || !div) return;
      const perBatch = 1 / Math.max(1, run.batchesPerEpoch);
      const batchX = run.batchLosses.map((_, i) => (i + 1) * perBatch);
      const testX = [0, ...run.history.map((r) => r.epoch)];
      const testY = [run.initialTestMse ?? Number.NaN, ...run.history.map((r) => r.testMse)];
      void Plotly.react(
        div,
        [
          { x: batchX, y: run.batchLosses, name: 'batch loss', mode: 'lines', line: { color: '#b8c4d6', width: 1 }, hoverinfo: 'skip' },
          { x: batchX, y: emaSmooth(run.batchLosses, 0.9), name: 'batch loss (smoothed)', mode: 'lines', line: { color: '#3267d6', width: 2 } },
          { x: run.history.map((r) => r.epoch), y: run.history.map((r) => r.trainLoss), name: 'train loss (epoch)', mode: 'markers', marker: { color: '#3267d6', size: 8, symbol: 'circle-open' } },
          { x: testX, y: testY, name: 'test MSE', mode: 'lines+markers', line: { color: '#e0663a', width: 2 }, marker: { size: 7 } },
        ],
        {
          margin: { l: 60, r: 16, t: 8, b: 44 },
          height: 300,
          xaxis: { title: { text: 'epoch' }, rangemode: 'tozero', zeroline: false },
          yaxis: { title: { text: 'MSE' }, type: 'log', exponentformat: 'power' },
          legend: { orientation: 'h', y: 1.12 },
          font: { family: 'Inter, system-ui, sans-serif', size: 12 },
          paper_bgcolor: 'rgba(0,0,0,0)',
          plot_bgcolor: 'rgba(0,0,0,0)',
        },
        { displaylogo: false, responsive: true, modeBarButtonsToRemove: ['select2d', 'lasso2d'] },
      );
    });
    return () => {
      cancelled = true;
    };
  }, [run]);
  return <div ref={divRef} className="chart" data-testid="loss-chart" aria-label="Loss curves" role="img" />;
}

import { useMemo } from 'react';
import type { Data, Layout } from 'plotly.js-dist-min';
import type { RunState } from '../state/app-state';
import { batchLossEpochs } from '../state/runs';
import { PlotlyChart } from './PlotlyChart';
import { emaSmooth } from './smoothing';
import { CHART_REFRESH_MS, useThrottled } from './useThrottled';

const LAYOUT: Partial<Layout> = {
  margin: { l: 60, r: 16, t: 8, b: 44 },
  height: 300,
  xaxis: { title: { text: 'epoch' }, rangemode: 'tozero', zeroline: false },
  yaxis: { title: { text: 'MSE' }, type: 'log', exponentformat: 'power' },
  legend: { orientation: 'h', y: 1.12 },
};

/**
 * Loss per batch (raw and smoothed) and per epoch (train and test MSE), against epochs, on a log axis —
 * losses fall by two orders of magnitude, and a log scale keeps the late progress visible.
 */
export function LossChart({ run: live }: { run: RunState }) {
  const run = useThrottled(live, CHART_REFRESH_MS);
  const data = useMemo((): Data[] => {
    const batchX = batchLossEpochs(run);
    return [
      { x: batchX, y: run.batchLosses, name: 'batch loss', mode: 'lines', line: { color: '#b8c4d6', width: 1 }, hoverinfo: 'skip' },
      { x: batchX, y: emaSmooth(run.batchLosses, 0.9), name: 'batch loss (smoothed)', mode: 'lines', line: { color: '#3267d6', width: 2 } },
      {
        x: run.history.map((r) => r.epoch),
        y: run.history.map((r) => r.trainLoss),
        name: 'train loss (epoch)',
        mode: 'markers',
        marker: { color: '#3267d6', size: 8, symbol: 'circle-open' },
      },
      {
        x: [0, ...run.history.map((r) => r.epoch)],
        y: [run.initialTestMse ?? Number.NaN, ...run.history.map((r) => r.testMse)],
        name: 'test MSE',
        mode: 'lines+markers',
        line: { color: '#e0663a', width: 2 },
        marker: { size: 7 },
      },
    ];
  }, [run]);
  return <PlotlyChart data={data} layout={LAYOUT} label="Loss curves" testId="loss-chart" />;
}

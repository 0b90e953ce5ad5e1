import { useMemo } from 'react';
import type { Data, Layout } from 'plotly.js-dist-min';
import type { RunState } from '../state/app-state';
import { batchLossEpochs } from '../state/runs';
import { logAxis } from './log-ticks';
import { ChartLegend, type LegendItem } from './ChartLegend';
import { PlotlyChart } from './PlotlyChart';
import { emaSmooth } from './smoothing';
import { CHART_REFRESH_MS, useThrottled } from './useThrottled';

const LAYOUT: Partial<Layout> = {
  margin: { l: 60, r: 16, t: 8, b: 44 },
  height: 300,
  xaxis: { title: { text: 'epoch' }, rangemode: 'tozero', zeroline: false },
  // The legend is ChartLegend, below the chart: the mode bar (top right) cannot cover it.
  showlegend: false,
};

const LEGEND: LegendItem[] = [
  { label: 'batch loss', colour: '#b8c4d6' },
  { label: 'batch loss (smoothed)', colour: '#3267d6' },
  { label: 'train loss (epoch)', colour: '#3267d6', marker: 'ring', noLine: true },
  { label: 'test MSE', colour: '#e0663a', marker: 'dot' },
];

/**
 * Loss per batch (raw and smoothed) and per epoch (train and test MSE), against epochs, on a log axis —
 * losses fall by two orders of magnitude, and a log scale keeps the late progress visible.
 */
export function LossChart({ run: live }: { run: RunState }) {
  const throttled = useThrottled(live, CHART_REFRESH_MS);
  // The throttle is for one run's progress: another run chosen is drawn at once, not a second later.
  const run = throttled.id === live.id ? throttled : live;
  const { data, layout } = useMemo((): { data: Data[]; layout: Partial<Layout> } => {
    const batchX = batchLossEpochs(run);
    const smoothed = emaSmooth(run.batchLosses, 0.9);
    const trainLoss = run.history.map((r) => r.trainLoss);
    const testMse = [run.initialTestMse ?? Number.NaN, ...run.history.map((r) => r.testMse)];
    const data: Data[] = [
      { x: batchX, y: run.batchLosses, name: 'batch loss', mode: 'lines', line: { color: '#b8c4d6', width: 1 }, hoverinfo: 'skip' },
      { x: batchX, y: smoothed, name: 'batch loss (smoothed)', mode: 'lines', line: { color: '#3267d6', width: 2 } },
      {
        x: run.history.map((r) => r.epoch),
        y: trainLoss,
        name: 'train loss (epoch)',
        mode: 'markers',
        marker: { color: '#3267d6', size: 8, symbol: 'circle-open' },
      },
      {
        x: [0, ...run.history.map((r) => r.epoch)],
        y: testMse,
        name: 'test MSE',
        mode: 'lines+markers',
        line: { color: '#e0663a', width: 2 },
        marker: { size: 7 },
      },
    ];
    return { data, layout: { ...LAYOUT, yaxis: logAxis([run.batchLosses, smoothed, trainLoss, testMse], 'MSE') } };
  }, [run]);
  return (
    <div className="chart-with-legend">
      <PlotlyChart data={data} layout={layout} label="Loss curves" testId="loss-chart" />
      <ChartLegend items={LEGEND} testId="loss-chart-legend" />
    </div>
  );
}

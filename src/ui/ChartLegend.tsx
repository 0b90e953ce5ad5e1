/** One legend entry: a short line sample (solid, dotted, faint) with or without a marker, and its text. */
export interface LegendItem {
  label: string;
  colour: string;
  dash?: 'solid' | 'dot';
  /** Line sample opacity, for faint traces such as smoothed batch losses. */
  opacity?: number;
  marker?: 'dot' | 'ring' | 'none';
  /** No line, only the marker (per-epoch points). */
  noLine?: boolean;
}

/**
 * A chart legend in the page's own layout, under the chart. Plotly's horizontal legend below a plot sat on the
 * x-axis title, grew its own scroll box at phone width, and after narrowing and widening the window stayed on
 * top of the plot (its pushed margin is not undone); as plain HTML it wraps like text and never overlaps.
 */
export function ChartLegend({ items, testId }: { items: LegendItem[]; testId?: string }) {
  return (
    <ul className="chart-legend" data-testid={testId}>
      {items.map((item) => (
        <li key={item.label}>
          <svg width="28" height="12" viewBox="0 0 28 12" aria-hidden="true">
            {!item.noLine && (
              <line
                x1="1"
                y1="6"
                x2="27"
                y2="6"
                stroke={item.colour}
                strokeWidth="2.5"
                strokeOpacity={item.opacity ?? 1}
                strokeDasharray={item.dash === 'dot' ? '2 3' : undefined}
              />
            )}
            {item.marker === 'dot' && <circle cx="14" cy="6" r="3.5" fill={item.colour} />}
            {item.marker === 'ring' && <circle cx="14" cy="6" r="3.5" fill="none" stroke={item.colour} strokeWidth="1.5" />}
          </svg>
          {item.label}
        </li>
      ))}
    </ul>
  );
}

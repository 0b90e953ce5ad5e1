/** One labelled figure in a row of stats; `explain` is a visible line under it, `hint` a longer hover text. */
export function Stat({ label, value, hint, explain, testId }: { label: string; value: string; hint?: string; explain?: string; testId?: string }) {
  return (
    <div className="stat" title={hint}>
      <span className="stat-label">{label}</span>
      <span className="stat-value" data-testid={testId}>
        {value}
      </span>
      {explain && <span className="stat-help">{explain}</span>}
    </div>
  );
}

/** An accessible progress bar with a text label. @param value 0–1 */
export function ProgressBar({ value, label }: { value: number; label: string }) {
  const percent = Math.round(Math.min(1, Math.max(0, value)) * 100);
  return (
    <div className="progress">
      <div className="progress-track" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent} aria-valuetext={label} aria-label="progress">
        <div className="progress-fill" style={{ transform: `scaleX(${percent / 100})` }} />
      </div>
      <span className="progress-label">{label}</span>
    </div>
  );
}

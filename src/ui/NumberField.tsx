import type { NumberLimit } from '../config/limits';

/**
 * One labelled number input of an options form. The browser's own range checks are hints only (the form
 * is `noValidate`): the options module's `validate()` decides, and its message is shown in the form's
 * alert, which an invalid input points to with `aria-describedby`.
 */
export function NumberField({
  name,
  label,
  limit,
  value,
  error,
  errorId,
  disabled,
  onChange,
}: {
  name: string;
  label: string;
  limit: NumberLimit;
  value: string;
  /** the message for this field, when the last submit refused it */
  error: string | undefined;
  /** id of the element that shows the messages */
  errorId: string;
  disabled: boolean;
  onChange: (text: string) => void;
}) {
  return (
    <label>
      {label}
      <input
        type="number"
        name={name}
        value={value}
        min={limit.min}
        max={limit.max}
        step={limit.integer ? 1 : 'any'}
        disabled={disabled}
        aria-invalid={error === undefined ? undefined : true}
        aria-describedby={error === undefined ? undefined : errorId}
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
}

/** The messages of a refused submit, one per field, as one alert; nothing when there are none. */
export function FieldErrorsAlert({ id, errors }: { id: string; errors: Readonly<Record<string, string | undefined>> }) {
  const messages = Object.values(errors).filter((m): m is string => m !== undefined);
  if (messages.length === 0) return null;
  return (
    <div className="alert" role="alert" id={id}>
      {messages.map((message) => (
        <p key={message} className="field-error">
          {message}
        </p>
      ))}
    </div>
  );
}

import ui from "./ui.module.css";

/** A readable error with an optional retry; announced to screen readers when it appears. */
export function ErrorAlert({ message, onRetry }: { message: string; onRetry?: () => void }) {
  return (
    <div className={ui.alert} role="alert">
      <p>{message}</p>
      {onRetry && (
        <button type="button" className={`${ui.button} ${ui.secondary}`} onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

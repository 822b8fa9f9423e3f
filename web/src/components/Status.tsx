import { Link } from "react-router-dom";
import { FhirError } from "../fhir";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

/** A failure in words: the OperationOutcome's messages, the status, and a way to try again. */
export function ErrorMessage({ error, title = "Something went wrong", retry }: { error: unknown; title?: string; retry?: () => void }) {
  const messages = error instanceof FhirError ? error.messages : [error instanceof Error ? error.message : String(error)];
  const status = error instanceof FhirError && error.status > 0 ? error.status : undefined;
  // Asking again does not change a 4xx answer: offer a retry only for network failures and server errors.
  const retryable = status === undefined || status >= 500;
  return (
    <div className="error" role="alert">
      <h2 className="error-title">
        {title}
        {status !== undefined && <span className="status-code"> (HTTP {status})</span>}
      </h2>
      {messages.length === 1 ? (
        <p className="error-text">{messages[0]}</p>
      ) : (
        <ul className="error-text">
          {messages.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      )}
      {retry && retryable && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function JsonLink({ type, id, label }: { type: string; id?: string; label?: string }) {
  if (!id) return null;
  return (
    <Link className="json-link" to={`/resources/${type}/${encodeURIComponent(id)}`} aria-label={label ?? `View ${type} ${id} as JSON`}>
      JSON
    </Link>
  );
}

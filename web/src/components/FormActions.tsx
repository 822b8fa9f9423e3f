/** The submit and Cancel buttons under an admin form; the submit button says what is happening while it is pending. */
export function FormActions({ pending, submit, submitting, onCancel }: { pending: boolean; submit: string; submitting: string; onCancel: () => void }) {
  return (
    <div className="field actions">
      <button type="submit" className="primary" disabled={pending}>
        {pending ? submitting : submit}
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

import { useEffect, useRef, useState } from "react";
import { idlePhase, idleSettings, lastActivity, recordActivity, type IdlePhase } from "../idle";

const EVENTS = ["keydown", "pointerdown", "wheel", "touchstart", "scroll"] as const;

/** Warns before the idle logoff with a countdown, and signs out when the time is up. */
export function IdleWatcher({ onExpire }: { onExpire: () => Promise<void> | void }) {
  const [phase, setPhase] = useState<IdlePhase>({ phase: "active" });
  const stay = useRef<HTMLButtonElement>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const expired = useRef(false);

  useEffect(() => {
    const { timeoutMs, warningMs } = idleSettings();
    recordActivity();
    let last = 0;
    const onActivity = () => {
      const now = Date.now();
      // While the warning shows, only the explicit button keeps the session: a stray key must not.
      if (now - last > 1000 && idlePhase(lastActivity(), now, timeoutMs, warningMs).phase === "active") {
        last = now;
        recordActivity(now);
      }
    };
    for (const e of EVENTS) window.addEventListener(e, onActivity, { passive: true, capture: true });
    const timer = window.setInterval(() => {
      const next = idlePhase(lastActivity(), Date.now(), timeoutMs, warningMs);
      setPhase((prev) => (prev.phase === next.phase && (prev.phase !== "warning" || next.phase !== "warning" || prev.secondsLeft === next.secondsLeft) ? prev : next));
      if (next.phase === "expired" && !expired.current) {
        expired.current = true;
        void onExpire();
      }
    }, 1000);
    return () => {
      for (const e of EVENTS) window.removeEventListener(e, onActivity, { capture: true });
      window.clearInterval(timer);
    };
  }, [onExpire]);

  const open = phase.phase !== "active";
  const warning = phase.phase === "warning";
  // A modal <dialog>: the page behind is inert, so keyboard focus stays in the dialog.
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
    if (warning) stay.current?.focus();
  }, [open, warning]);

  return (
    <dialog ref={dialog} className="dialog" role="alertdialog" aria-labelledby="idle-title" aria-describedby="idle-text" onCancel={(e) => e.preventDefault()}>
      {open && (
        <>
          <h2 id="idle-title">Are you still there?</h2>
          {phase.phase === "warning" ? (
            <p id="idle-text">
              For your patients' privacy you will be signed out in <strong>{phase.secondsLeft} s</strong> because nothing happened for a while.
            </p>
          ) : (
            <p id="idle-text">Signing you out…</p>
          )}
          {phase.phase === "warning" && (
            <div className="actions">
              <button
                ref={stay}
                type="button"
                className="primary"
                onClick={() => {
                  recordActivity();
                  setPhase({ phase: "active" });
                }}
              >
                Stay signed in
              </button>
              <button type="button" onClick={() => void onExpire()}>
                Sign out now
              </button>
            </div>
          )}
        </>
      )}
    </dialog>
  );
}
